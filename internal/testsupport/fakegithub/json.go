package fakegithub

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"time"
)

// The builders below produce every field GitHub's OpenAPI description marks
// as required for each object, with realistic values.

const webHost = "https://github.com"

func (s *Server) api() string { return s.srv.URL + APIPrefix }

func nodeID(kind string, id int64) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%s%d", kind, id)))
}

func loginID(login string) int64 {
	h := fnv.New32a()
	h.Write([]byte(login))
	return int64(h.Sum32()%9_000_000) + 1_000_000
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) userJSON(login, typ string) map[string]any {
	if typ == "" {
		typ = "User"
	}
	id := loginID(login)
	u := s.api() + "/users/" + login
	return map[string]any{
		"login": login, "id": id, "node_id": nodeID("U_", id), "type": typ, "site_admin": false,
		"avatar_url": fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id), "gravatar_id": "",
		"url": u, "html_url": webHost + "/" + login,
		"followers_url": u + "/followers", "following_url": u + "/following{/other_user}",
		"gists_url": u + "/gists{/gist_id}", "starred_url": u + "/starred{/owner}{/repo}",
		"subscriptions_url": u + "/subscriptions", "organizations_url": u + "/orgs",
		"repos_url": u + "/repos", "events_url": u + "/events{/privacy}",
		"received_events_url": u + "/received_events",
	}
}

func (s *Server) repoJSON(r *Repo) map[string]any {
	full := r.FullName()
	u := s.api() + "/repos/" + full
	visibility := "public"
	if r.private {
		visibility = "private"
	}
	return map[string]any{
		"id": r.id, "node_id": nodeID("R_", r.id), "name": r.name, "full_name": full,
		"owner": s.userJSON(r.owner, "Organization"), "private": r.private, "visibility": visibility,
		"html_url": webHost + "/" + full, "description": "A repository guarded by mergeguard", "fork": false,
		"url": u, "archive_url": u + "/{archive_format}{/ref}", "assignees_url": u + "/assignees{/user}",
		"blobs_url": u + "/git/blobs{/sha}", "branches_url": u + "/branches{/branch}",
		"collaborators_url": u + "/collaborators{/collaborator}", "comments_url": u + "/comments{/number}",
		"commits_url": u + "/commits{/sha}", "compare_url": u + "/compare/{base}...{head}",
		"contents_url": u + "/contents/{+path}", "contributors_url": u + "/contributors",
		"deployments_url": u + "/deployments", "downloads_url": u + "/downloads", "events_url": u + "/events",
		"forks_url": u + "/forks", "git_commits_url": u + "/git/commits{/sha}", "git_refs_url": u + "/git/refs{/sha}",
		"git_tags_url": u + "/git/tags{/sha}", "git_url": "git://github.com/" + full + ".git",
		"issue_comment_url": u + "/issues/comments{/number}", "issue_events_url": u + "/issues/events{/number}",
		"issues_url": u + "/issues{/number}", "keys_url": u + "/keys{/key_id}", "labels_url": u + "/labels{/name}",
		"languages_url": u + "/languages", "merges_url": u + "/merges", "milestones_url": u + "/milestones{/number}",
		"notifications_url": u + "/notifications{?since,all,participating}", "pulls_url": u + "/pulls{/number}",
		"releases_url": u + "/releases{/id}", "ssh_url": "git@github.com:" + full + ".git",
		"stargazers_url": u + "/stargazers", "statuses_url": u + "/statuses/{sha}", "subscribers_url": u + "/subscribers",
		"subscription_url": u + "/subscription", "tags_url": u + "/tags", "teams_url": u + "/teams",
		"trees_url": u + "/git/trees{/sha}", "clone_url": webHost + "/" + full + ".git",
		"mirror_url": nil, "hooks_url": u + "/hooks", "svn_url": webHost + "/" + full, "homepage": nil,
		"language": "Go", "forks_count": 0, "forks": 0, "stargazers_count": 3, "watchers_count": 3, "watchers": 3,
		"size": 2048, "default_branch": r.defaultBranch, "open_issues_count": r.openIssues(), "open_issues": r.openIssues(),
		"is_template": false, "topics": []string{}, "has_issues": true, "has_projects": true, "has_wiki": false,
		"has_pages": false, "has_downloads": true, "has_discussions": false, "archived": r.archived, "disabled": false,
		"pushed_at": ts(r.created.Add(24 * time.Hour)), "created_at": ts(r.created), "updated_at": ts(r.created.Add(24 * time.Hour)),
		"allow_forking": true, "web_commit_signoff_required": false, "license": nil,
	}
}

func (s *Server) branchJSON(p *PR, ref, sha string) map[string]any {
	r := p.repo
	return map[string]any{
		"label": r.owner + ":" + ref, "ref": ref, "sha": sha,
		"user": s.userJSON(r.owner, "Organization"), "repo": s.repoJSON(r),
	}
}

func (s *Server) labelJSON(r *Repo, name string) map[string]any {
	id := loginID("label:" + name)
	return map[string]any{
		"id": id, "node_id": nodeID("LA_", id), "url": s.api() + "/repos/" + r.FullName() + "/labels/" + name,
		"name": name, "description": nil, "color": "ededed", "default": false,
	}
}

func (s *Server) prJSON(p *PR) map[string]any {
	r := p.repo
	full := r.FullName()
	u := fmt.Sprintf("%s/repos/%s/pulls/%d", s.api(), full, p.Number)
	html := fmt.Sprintf("%s/%s/pull/%d", webHost, full, p.Number)
	issue := fmt.Sprintf("%s/repos/%s/issues/%d", s.api(), full, p.Number)
	labels := []any{}
	for _, l := range p.Labels {
		labels = append(labels, s.labelJSON(r, l))
	}
	adds, dels := 0, 0
	for _, f := range p.files {
		a, d := fileCounts(f)
		adds, dels = adds+a, dels+d
	}
	var closedAt any
	if p.state == "closed" {
		closedAt = ts(p.updated)
	}
	var body any = p.Body
	if p.Body == "" {
		body = nil
	}
	requestedUsers, requestedTeams := s.requestedJSON(p)
	return map[string]any{
		"url": u, "id": p.id, "node_id": nodeID("PR_", p.id), "html_url": html,
		"diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": issue,
		"commits_url": u + "/commits", "review_comments_url": u + "/comments",
		"review_comment_url": s.api() + "/repos/" + full + "/pulls/comments{/number}",
		"comments_url":       issue + "/comments", "statuses_url": s.api() + "/repos/" + full + "/statuses/" + p.headSHA,
		"number": p.Number, "state": p.state, "locked": false, "title": p.Title, "body": body,
		"user": s.userJSON(p.Author, p.AuthorType), "labels": labels, "milestone": nil, "active_lock_reason": nil,
		"created_at": ts(p.created), "updated_at": ts(p.updated), "closed_at": closedAt, "merged_at": nil,
		"merge_commit_sha": nil, "assignee": nil, "assignees": []any{}, "requested_reviewers": requestedUsers,
		"requested_teams": requestedTeams, "draft": p.Draft,
		"head": s.branchJSON(p, p.HeadRef, p.headSHA), "base": s.branchJSON(p, p.BaseRef, p.baseSHA),
		"_links": map[string]any{
			"self": link(u), "html": link(html), "issue": link(issue), "comments": link(issue + "/comments"),
			"review_comments": link(u + "/comments"), "review_comment": link(s.api() + "/repos/" + full + "/pulls/comments{/number}"),
			"commits": link(u + "/commits"), "statuses": link(s.api() + "/repos/" + full + "/statuses/" + p.headSHA),
		},
		"author_association": p.AuthorAssociation, "auto_merge": nil, "merged": false, "mergeable": true,
		"rebaseable": true, "mergeable_state": "blocked", "merged_by": nil, "comments": 0, "review_comments": 0,
		"maintainer_can_modify": false, "commits": len(p.commits), "additions": adds, "deletions": dels,
		"changed_files": len(p.files),
	}
}

func link(href string) map[string]any { return map[string]any{"href": href} }

func fileCounts(f File) (int, int) {
	if f.Additions != 0 || f.Deletions != 0 || f.Patch == "" {
		return f.Additions, f.Deletions
	}
	return countPatch(f.Patch)
}

func (s *Server) fileJSON(p *PR, f File) map[string]any {
	full := p.repo.FullName()
	adds, dels := fileCounts(f)
	status := f.Status
	if status == "" {
		status = "modified"
	}
	m := map[string]any{
		"sha": FakeSHA("blob", f.Path, p.headSHA), "filename": f.Path, "status": status,
		"additions": adds, "deletions": dels, "changes": adds + dels,
		"blob_url":     fmt.Sprintf("%s/%s/blob/%s/%s", webHost, full, p.headSHA, f.Path),
		"raw_url":      fmt.Sprintf("%s/%s/raw/%s/%s", webHost, full, p.headSHA, f.Path),
		"contents_url": fmt.Sprintf("%s/repos/%s/contents/%s?ref=%s", s.api(), full, f.Path, p.headSHA),
	}
	if f.Patch != "" {
		m["patch"] = f.Patch
	}
	if f.PreviousPath != "" {
		m["previous_filename"] = f.PreviousPath
	}
	return m
}

func (s *Server) reviewJSON(p *PR, rv Review) map[string]any {
	full := p.repo.FullName()
	pr := fmt.Sprintf("%s/repos/%s/pulls/%d", s.api(), full, p.Number)
	html := fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", webHost, full, p.Number, rv.ID)
	return map[string]any{
		"id": rv.ID, "node_id": nodeID("PRR_", rv.ID), "user": s.userJSON(rv.Login, rv.UserType),
		"body": "", "state": rv.State, "commit_id": rv.CommitSHA, "submitted_at": ts(rv.Submitted),
		"html_url": html, "pull_request_url": pr, "author_association": "MEMBER",
		"_links": map[string]any{"html": link(html), "pull_request": link(pr)},
	}
}

func (s *Server) commitJSON(p *PR, c commit, parent string) map[string]any {
	full := p.repo.FullName()
	u := s.api() + "/repos/" + full + "/commits/" + c.sha
	person := map[string]any{"name": p.Author, "email": p.Author + "@users.noreply.github.com", "date": ts(p.created)}
	parents := []any{}
	if parent != "" {
		parents = append(parents, map[string]any{"sha": parent, "url": s.api() + "/repos/" + full + "/commits/" + parent, "html_url": webHost + "/" + full + "/commit/" + parent})
	}
	return map[string]any{
		"url": u, "sha": c.sha, "node_id": nodeID("C_", loginID(c.sha)), "html_url": webHost + "/" + full + "/commit/" + c.sha,
		"comments_url": u + "/comments",
		"commit": map[string]any{
			"url": s.api() + "/repos/" + full + "/git/commits/" + c.sha, "author": person, "committer": person,
			"message": c.message, "comment_count": 0,
			"tree":         map[string]any{"sha": FakeSHA("tree", c.sha), "url": s.api() + "/repos/" + full + "/git/trees/" + FakeSHA("tree", c.sha)},
			"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil},
		},
		"author": s.userJSON(p.Author, p.AuthorType), "committer": s.userJSON(p.Author, p.AuthorType),
		"parents": parents,
	}
}

func (s *Server) appJSON() map[string]any {
	id := s.appID
	return map[string]any{
		"id": id, "slug": appSlug, "node_id": nodeID("A_", id), "client_id": "Iv1.8a61f9b3a7aba766",
		"owner": s.userJSON("mergeguard", "Organization"), "name": "mergeguard",
		"description": "Stops unsafe changes before they merge", "external_url": "https://mergeguard.example.com",
		"html_url": webHost + "/apps/mergeguard", "created_at": "2024-01-10T12:00:00Z", "updated_at": "2024-01-10T12:00:00Z",
		"permissions": map[string]string{"checks": "write", "pull_requests": "read", "contents": "read", "metadata": "read", "members": "read", "issues": "write"},
		"events":      []string{"pull_request", "pull_request_review", "issue_comment", "check_run", "check_suite", "merge_group", "push"},
	}
}
