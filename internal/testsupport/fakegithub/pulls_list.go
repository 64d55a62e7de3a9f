package fakegithub

import (
	"net/http"
	"sort"
)

// listPulls implements GET /repos/{owner}/{repo}/pulls: state (open by
// default, closed, all), base, and direction, newest first as GitHub's
// default sort (created, desc) lists them.
func (s *Server) listPulls(w *responder, r *http.Request) (int, any) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		return validationFailed("PullRequest", "state", "invalid", state, "https://docs.github.com/rest/pulls/pulls#list-pull-requests")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	var prs []*PR
	for _, p := range rp.pulls {
		if (state == "all" || p.state == state) && (q.Get("base") == "" || q.Get("base") == p.BaseRef) {
			prs = append(prs, p)
		}
	}
	// Pull requests opened in the same second tie on created_at; numbers
	// grow with creation, so they break the tie, and keep pages stable.
	sort.Slice(prs, func(i, j int) bool {
		a, b := prs[i], prs[j]
		if q.Get("direction") == "asc" {
			a, b = b, a
		}
		if !a.created.Equal(b.created) {
			return a.created.After(b.created)
		}
		return a.Number > b.Number
	})
	return s.listPageOf(w, r, len(prs), func(i int) any { return s.prSimpleJSON(prs[i]) })
}

// prSimpleJSON is a pull request as GitHub lists it (pull-request-simple):
// the single-pull-request shape without the fields GitHub computes only
// when one pull request is fetched.
func (s *Server) prSimpleJSON(p *PR) map[string]any {
	m := s.prJSON(p)
	for _, k := range []string{
		"merged", "mergeable", "rebaseable", "mergeable_state", "merged_by", "comments", "review_comments",
		"maintainer_can_modify", "commits", "additions", "deletions", "changed_files",
	} {
		delete(m, k)
	}
	// The listing's schema, unlike the single pull request's, has a label's
	// description as a string that is never null.
	for _, l := range m["labels"].([]any) {
		if l := l.(map[string]any); l["description"] == nil {
			l["description"] = ""
		}
	}
	return m
}
