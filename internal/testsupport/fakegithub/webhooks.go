package fakegithub

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// Payload builds a webhook delivery body for a pull request event, in the
// shape GitHub sends from an App's webhook. For pull_request_review events,
// review is the review the event is about.
func (s *Server) Payload(event, action string, p *PR, review *Review) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	body := map[string]any{
		"action":       action,
		"pull_request": s.prJSON(p),
		"repository":   s.repoJSON(p.repo),
		"sender":       s.userJSON(p.Author, p.AuthorType),
		"installation": map[string]any{"id": p.repo.installation, "node_id": nodeID("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u", p.repo.installation)},
	}
	switch event {
	case "pull_request":
		body["number"] = p.Number
		if action == "synchronize" {
			// GitHub says which push moved the head: the previous head
			// (the base for a pull request's first push) and the new one.
			before := p.baseSHA
			if n := len(p.commits); n >= 2 {
				before = p.commits[n-2].sha
			}
			body["before"], body["after"] = before, p.headSHA
		}
	case "pull_request_review":
		if review != nil {
			rv := s.reviewJSON(p, *review)
			// Webhooks spell review states in lower case.
			rv["state"] = strings.ToLower(review.State)
			body["review"] = rv
			body["sender"] = s.userJSON(review.Login, review.UserType)
		}
	}
	if action == "edited" {
		// GitHub always sends changes on edited events, holding the previous
		// value of each edited field. The fake does not record edits, so it
		// reports none: an empty object, which GitHub's schema allows.
		body["changes"] = map[string]any{}
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return b
}

// Sign returns the X-Hub-Signature-256 header value for body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// PushPayload builds a push delivery for the commit a branch points at, as
// GitHub sends it from an App's webhook. files are the paths the pushed
// commit modified.
func (s *Server) PushPayload(r *Repo, branch string, files ...string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	head := r.branches[branch]
	repo := s.repoJSON(r)
	// Push payloads carry the repository with a few fields of their own.
	repo["stargazers"], repo["master_branch"] = 3, r.defaultBranch
	repo["created_at"], repo["pushed_at"] = r.created.Unix(), r.created.Unix()
	pusher := map[string]any{"name": "octo-dev", "email": "octo-dev@users.noreply.github.com"}
	commit := map[string]any{
		"id": head, "tree_id": FakeSHA("tree", head), "distinct": true, "message": r.messages[head],
		"timestamp": ts(r.created), "url": webHost + "/" + r.FullName() + "/commit/" + head,
		"author": pusher, "committer": pusher,
		"added": []string{}, "removed": []string{}, "modified": append([]string{}, files...),
	}
	body := map[string]any{
		"ref": "refs/heads/" + branch, "before": FakeSHA("before", head), "after": head,
		"created": false, "deleted": false, "forced": false, "base_ref": nil,
		"compare":      webHost + "/" + r.FullName() + "/compare/" + head,
		"commits":      []any{commit},
		"head_commit":  commit,
		"repository":   repo,
		"pusher":       pusher,
		"sender":       s.userJSON("octo-dev", "User"),
		"installation": map[string]any{"id": r.installation, "node_id": nodeID("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u", r.installation)},
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return b
}
