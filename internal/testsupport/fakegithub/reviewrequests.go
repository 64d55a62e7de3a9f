package fakegithub

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// requestReviewers implements POST
// /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers: the users
// (logins) and the organization's teams (slugs) are added to the pull
// request's pending requests, and the pull request is answered (201). As on
// GitHub, the author cannot be asked, and a team must exist in the
// repository's organization (422 otherwise); an empty request asks no one.
func (s *Server) requestReviewers(w *responder, r *http.Request) (int, any) {
	var b struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(&b); err != nil {
		return 400, errorBody("Problems parsing JSON: " + err.Error())
	}
	p, status, body := s.pull(r)
	if p == nil {
		return status, body
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.repo.archived {
		return archivedBody()
	}
	for _, u := range b.Reviewers {
		if strings.EqualFold(u, p.Author) {
			return 422, errorBody("Review cannot be requested from pull request author.")
		}
	}
	for _, slug := range b.TeamReviewers {
		if s.teams[lower(p.repo.owner+"/"+slug)] == nil {
			return 422, errorBody("Reviews may only be requested from collaborators. One or more of the teams you specified is not a collaborator of the " + p.repo.FullName() + " repository.")
		}
	}
	p.reviewRequests = append(p.reviewRequests, ReviewRequest{Users: slices.Clone(b.Reviewers), Teams: slices.Clone(b.TeamReviewers)})
	for _, u := range b.Reviewers {
		if !slices.ContainsFunc(p.requestedUsers, func(x string) bool { return strings.EqualFold(x, u) }) {
			p.requestedUsers = append(p.requestedUsers, u)
		}
	}
	for _, slug := range b.TeamReviewers {
		if !slices.ContainsFunc(p.requestedTeams, func(x string) bool { return strings.EqualFold(x, slug) }) {
			p.requestedTeams = append(p.requestedTeams, slug)
		}
	}
	// The answer is a pull-request-simple, whose labels' descriptions are
	// strings, never null.
	out := s.prJSON(p)
	if labels, ok := out["labels"].([]any); ok {
		simple := make([]any, 0, len(labels))
		for _, l := range labels {
			if m, ok := l.(map[string]any); ok && m["description"] == nil {
				m = maps.Clone(m)
				m["description"] = ""
				l = m
			}
			simple = append(simple, l)
		}
		out["labels"] = simple
	}
	return 201, out
}

// fulfilRequests removes the requests a review by login answers: login's
// own, and those of the teams login is a member of (GitHub counts a
// member's review as the team's). The caller holds s.mu.
func (p *PR) fulfilRequests(login string) {
	p.requestedUsers = slices.DeleteFunc(p.requestedUsers, func(u string) bool { return strings.EqualFold(u, login) })
	p.requestedTeams = slices.DeleteFunc(p.requestedTeams, func(slug string) bool {
		t := p.repo.s.teams[lower(p.repo.owner+"/"+slug)]
		return t != nil && slices.ContainsFunc(t.members, func(m string) bool { return strings.EqualFold(m, login) })
	})
}

// ReviewRequest is a review request the fake accepted: the logins and team
// slugs it named.
type ReviewRequest struct {
	Users []string
	Teams []string
}

// ReviewRequests returns the review requests the pull request received,
// oldest first.
func (p *PR) ReviewRequests() []ReviewRequest {
	p.repo.s.mu.Lock()
	defer p.repo.s.mu.Unlock()
	return slices.Clone(p.reviewRequests)
}

// RequestedReviewers returns the pending review requests: logins and team
// slugs, in the order they were made.
func (p *PR) RequestedReviewers() (users, teams []string) {
	p.repo.s.mu.Lock()
	defer p.repo.s.mu.Unlock()
	return slices.Clone(p.requestedUsers), slices.Clone(p.requestedTeams)
}

// requestedJSON renders the pending requests as a pull request lists them.
// The caller holds s.mu.
func (s *Server) requestedJSON(p *PR) (users, teams []any) {
	users, teams = []any{}, []any{}
	for _, u := range p.requestedUsers {
		users = append(users, s.userJSON(u, "User"))
	}
	for _, slug := range p.requestedTeams {
		t := s.teams[lower(p.repo.owner+"/"+slug)]
		if t == nil {
			continue
		}
		u := s.api() + "/organizations/" + t.org + "/team/" + t.slug
		teams = append(teams, map[string]any{
			"id": t.id, "node_id": nodeID("T_", t.id), "url": u, "html_url": webHost + "/orgs/" + t.org + "/teams/" + t.slug,
			"name": t.slug, "slug": t.slug, "description": nil, "privacy": "closed", "notification_setting": "notifications_enabled",
			"permission": "pull", "members_url": u + "/members{/member}", "repositories_url": u + "/repos",
			"type": "organization", "parent": nil,
		})
	}
	return users, teams
}
