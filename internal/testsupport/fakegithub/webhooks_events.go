package fakegithub

import (
	"encoding/json"
	"fmt"
	"time"
)

// CommentPayload builds an issue_comment "created" delivery for a comment by
// author on issue or pull request number, and records the comment, so the
// app can react to it through the API. association is the author's
// author_association (OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, …;
// MEMBER when ""). As on GitHub, issue.pull_request is present only when
// number is a pull request.
func (s *Server) CommentPayload(repo *Repo, number int, author, association, body string) (payload []byte, commentID int64) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !repo.hasIssue(number) {
		s.t.Fatalf("fake GitHub: CommentPayload: %s has no issue or pull request #%d", repo.FullName(), number)
	}
	if association == "" {
		association = "MEMBER"
	}
	c := repo.addComment(number, author, association, body, false)
	b := map[string]any{
		"action":       "created",
		"issue":        s.issueJSON(repo, number),
		"comment":      s.commentJSON(repo, c),
		"repository":   s.orgRepoJSON(repo),
		"organization": s.orgJSON(repo.owner),
		"sender":       s.userJSON(c.author, c.authorType),
		"installation": installationRef(repo.installation),
	}
	return marshal(b), c.id
}

// MergeGroupPayload builds a merge_group "checks_requested" delivery for pr
// entering the merge queue. Like GitHub, it first creates the merge group's
// commit on a gh-readonly-queue branch, so check runs can be created on it;
// headSHA is that commit.
//
// The commit's files are the pull request head's when the test gave it
// content (CommitFiles), else the base branch's: the fake does not merge.
func (s *Server) MergeGroupPayload(pr *PR) (payload []byte, headSHA string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := pr.repo
	baseSHA := pr.baseSHA
	if sha, ok := r.branches[pr.BaseRef]; ok {
		baseSHA = sha
	}
	from, ok := r.trees[pr.headSHA]
	if !ok {
		from = r.trees[baseSHA]
	}
	tree := map[string]string{}
	for p, c := range from {
		tree[p] = c
	}
	branch := fmt.Sprintf("gh-readonly-queue/%s/pr-%d-%s", pr.BaseRef, pr.Number, pr.headSHA)
	message := fmt.Sprintf("Merge pull request #%d from %s/%s\n\n%s", pr.Number, r.owner, pr.HeadRef, pr.Title)
	// Each entry into the queue makes a new commit, even for the same pull
	// request and base: GitHub's differs by its timestamp.
	headSHA = FakeSHA("merge-group", r.FullName(), branch, baseSHA, fmt.Sprint(s.id()))
	r.trees[headSHA] = tree
	r.messages[headSHA] = message
	r.branches[branch] = headSHA

	now := s.now().UTC().Truncate(time.Second)
	b := map[string]any{
		"action": "checks_requested",
		"merge_group": map[string]any{
			"head_sha": headSHA,
			"head_ref": "refs/heads/" + branch,
			"base_sha": baseSHA,
			"base_ref": "refs/heads/" + pr.BaseRef,
			"head_commit": map[string]any{
				"id": headSHA, "tree_id": FakeSHA("tree", headSHA), "message": message, "timestamp": ts(now),
				"author": gitPerson(pr.Author),
				// GitHub commits the merge group itself.
				"committer": map[string]any{"name": "GitHub", "email": "noreply@github.com"},
			},
		},
		"repository":   s.orgRepoJSON(r),
		"organization": s.orgJSON(r.owner),
		"sender":       s.userJSON(pr.Author, pr.AuthorType),
		"installation": installationRef(r.installation),
	}
	return marshal(b), headSHA
}

// issueJSON is an issue or pull request as issue webhooks carry it.
func (s *Server) issueJSON(r *Repo, number int) map[string]any {
	full := r.FullName()
	u := fmt.Sprintf("%s/repos/%s/issues/%d", s.api(), full, number)
	m := map[string]any{
		"url": u, "repository_url": s.api() + "/repos/" + full, "labels_url": u + "/labels{/name}",
		"comments_url": u + "/comments", "events_url": u + "/events", "timeline_url": u + "/timeline",
		"number": number, "locked": false, "active_lock_reason": nil, "assignee": nil, "assignees": []any{},
		"milestone": nil, "performed_via_github_app": nil, "state_reason": nil,
		"reactions": reactionRollup(u+"/reactions", nil),
	}
	comments := 0
	for _, c := range r.comments {
		if c.number == number {
			comments++
		}
	}
	m["comments"] = comments
	if p := r.pulls[number]; p != nil {
		html := fmt.Sprintf("%s/%s/pull/%d", webHost, full, number)
		labels := []any{}
		for _, l := range p.Labels {
			labels = append(labels, s.labelJSON(r, l))
		}
		var body, closedAt any
		if p.Body != "" {
			body = p.Body
		}
		if p.state == "closed" {
			closedAt = ts(p.updated)
		}
		// A pull request is also an issue, with an ID of its own.
		id := loginID(fmt.Sprintf("issue:%s#%d", full, number))
		m["id"], m["node_id"], m["html_url"] = id, nodeID("I_", id), html
		m["title"], m["body"], m["user"], m["labels"] = p.Title, body, s.userJSON(p.Author, p.AuthorType), labels
		m["state"], m["draft"], m["author_association"] = p.state, p.Draft, p.AuthorAssociation
		m["created_at"], m["updated_at"], m["closed_at"] = ts(p.created), ts(p.updated), closedAt
		m["pull_request"] = map[string]any{
			"url":      fmt.Sprintf("%s/repos/%s/pulls/%d", s.api(), full, number),
			"html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch", "merged_at": nil,
		}
		return m
	}
	i := r.issues[number]
	m["id"], m["node_id"], m["html_url"] = i.id, nodeID("I_", i.id), fmt.Sprintf("%s/%s/issues/%d", webHost, full, number)
	m["title"], m["body"], m["user"], m["labels"] = i.title, nil, s.userJSON(i.author, "User"), []any{}
	m["state"], m["draft"], m["author_association"] = i.state, false, "MEMBER"
	m["created_at"], m["updated_at"], m["closed_at"] = ts(i.created), ts(i.created), nil
	return m
}

// orgRepoJSON is a repository with the custom properties GitHub adds to an
// organization's repositories in webhooks and in an installation's
// repository list (none are set in the fake).
func (s *Server) orgRepoJSON(r *Repo) map[string]any {
	m := s.repoJSON(r)
	m["custom_properties"] = map[string]any{}
	return m
}

// orgJSON is an organization as webhooks carry it.
func (s *Server) orgJSON(login string) map[string]any {
	id := loginID(login)
	u := s.api() + "/orgs/" + login
	return map[string]any{
		"login": login, "id": id, "node_id": nodeID("O_", id), "url": u,
		"repos_url": u + "/repos", "events_url": u + "/events", "hooks_url": u + "/hooks", "issues_url": u + "/issues",
		"members_url": u + "/members{/member}", "public_members_url": u + "/public_members{/member}",
		"avatar_url": fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id), "description": nil,
	}
}

func installationRef(id int64) map[string]any {
	return map[string]any{"id": id, "node_id": nodeID("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u", id)}
}

// gitPerson is a commit author as GitHub writes it for a user who keeps
// their email private.
func gitPerson(login string) map[string]any {
	return map[string]any{"name": login, "email": fmt.Sprintf("%d+%s@users.noreply.github.com", loginID(login), login)}
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
