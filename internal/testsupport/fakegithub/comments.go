package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// appSlug is the fake App's slug; GitHub shows what an App writes with an
// installation token as "<slug>[bot]".
const appSlug = "mergeguard"

// maxCommentLength is GitHub's limit on an issue comment's body, in
// characters.
const maxCommentLength = 65536

// reactionContents are the reactions GitHub accepts.
var reactionContents = map[string]bool{"+1": true, "-1": true, "laugh": true, "confused": true, "heart": true, "hooray": true, "rocket": true, "eyes": true}

// issue is a plain issue (not a pull request).
type issue struct {
	id      int64
	number  int
	title   string
	author  string
	state   string
	created time.Time
}

// comment is an issue comment, on an issue or a pull request.
type comment struct {
	id     int64
	number int
	author string
	// authorType is "User" or "Bot".
	authorType  string
	association string
	body        string
	// viaApp is true for comments the App posted with an installation
	// token: GitHub then names the App in performed_via_github_app.
	viaApp    bool
	created   time.Time
	reactions []reaction
}

type reaction struct {
	id       int64
	login    string
	userType string
	content  string
	created  time.Time
}

// Comment is an issue or pull request comment, as tests inspect it.
type Comment struct {
	ID     int64
	Author string
	Body   string
	// Reactions are the contents of the reactions on the comment ("+1",
	// "eyes", …), oldest first.
	Reactions []string
}

// BotLogin is the login GitHub shows for what the fake App writes with an
// installation token.
func (s *Server) BotLogin() string { return appSlug + "[bot]" }

// OpenIssue opens an issue and returns its number. Issues and pull requests
// share one number sequence, as on GitHub.
func (r *Repo) OpenIssue(title, author string) int {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	n := r.nextNumber
	for r.pulls[n] != nil || r.issues[n] != nil {
		n++
	}
	r.nextNumber = n + 1
	if author == "" {
		author = "octo-dev"
	}
	r.issues[n] = &issue{id: r.s.id(), number: n, title: title, author: author, state: "open", created: r.s.now().UTC().Truncate(time.Second)}
	return n
}

// Comments returns copies of the comments on issue or pull request number
// of repo (owner/name), oldest first.
func (s *Server) Comments(repo string, number int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repos[lower(repo)]
	if rp == nil {
		return nil
	}
	var out []Comment
	for _, c := range rp.comments {
		if c.number != number {
			continue
		}
		cc := Comment{ID: c.id, Author: c.author, Body: c.body}
		for _, re := range c.reactions {
			cc.Reactions = append(cc.Reactions, re.content)
		}
		out = append(out, cc)
	}
	return out
}

// hasIssue reports whether number is an issue or a pull request: GitHub's
// issue endpoints accept both.
func (r *Repo) hasIssue(number int) bool {
	return r.issues[number] != nil || r.pulls[number] != nil
}

// openIssues counts open issues and pull requests, as GitHub's
// open_issues_count does.
func (r *Repo) openIssues() int {
	n := 0
	for _, p := range r.pulls {
		if p.state == "open" {
			n++
		}
	}
	for _, i := range r.issues {
		if i.state == "open" {
			n++
		}
	}
	return n
}

// addComment records a comment. The caller holds s.mu.
func (r *Repo) addComment(number int, author, association, body string, viaApp bool) *comment {
	typ := "User"
	if strings.HasSuffix(author, "[bot]") {
		typ = "Bot"
	}
	c := &comment{
		id: r.s.id(), number: number, author: author, authorType: typ, association: association,
		body: body, viaApp: viaApp, created: r.s.now().UTC().Truncate(time.Second),
	}
	r.comments = append(r.comments, c)
	return c
}

// author is who GitHub says wrote with the request's token: the App's bot
// for an installation token. A personal token belongs to a person, here
// octo-dev, the fake's default user.
func (s *Server) author(r *http.Request) (login, typ string, viaApp bool) {
	if personalToken(r) {
		return "octo-dev", "User", false
	}
	return s.BotLogin(), "Bot", true
}

// personalToken reports whether the request carries a personal access token
// rather than an installation token; GitHub's prefixes tell them apart.
func personalToken(r *http.Request) bool {
	authz := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(authz, "token ")
	if !ok {
		raw, _ = strings.CutPrefix(authz, "Bearer ")
	}
	return strings.HasPrefix(raw, "ghp_") || strings.HasPrefix(raw, "github_pat_")
}

// validationFailed is GitHub's 422 body naming the offending field.
func validationFailed(resource, field, code, value, doc string) (int, any) {
	e := map[string]any{"resource": resource, "field": field, "code": code}
	if value != "" {
		e["value"] = value
	}
	return 422, map[string]any{"message": "Validation Failed", "errors": []any{e}, "documentation_url": doc}
}

// archivedBody is GitHub's refusal to write to an archived repository.
func archivedBody() (int, any) {
	return 403, errorBody("Repository was archived so is read-only.")
}

// createComment implements POST /repos/{owner}/{repo}/issues/{issue_number}/comments.
func (s *Server) createComment(w *responder, r *http.Request) (int, any) {
	var b struct {
		Body *string `json:"body"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 2<<20)).Decode(&b); err != nil {
		return 400, errorBody("Problems parsing JSON: " + err.Error())
	}
	const doc = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
	switch {
	case b.Body == nil || *b.Body == "":
		return validationFailed("IssueComment", "body", "missing_field", "", doc)
	case utf8.RuneCountInString(*b.Body) > maxCommentLength:
		return validationFailed("IssueComment", "body", "custom", "", doc)
	}
	n, err := strconv.Atoi(r.PathValue("issue_number"))
	login, _, viaApp := s.author(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	if err != nil || !rp.hasIssue(n) {
		return 404, errorBody("Not Found")
	}
	if rp.archived {
		return archivedBody()
	}
	association := "NONE"
	if !viaApp {
		association = "MEMBER"
	}
	c := rp.addComment(n, login, association, *b.Body, viaApp)
	body := s.commentJSON(rp, c)
	w.Header().Set("Location", body["url"].(string))
	return 201, body
}

// createReaction implements POST
// /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions. Reacting
// twice with the same content returns the first reaction with 200, as GitHub
// does.
func (s *Server) createReaction(w *responder, r *http.Request) (int, any) {
	var b struct {
		Content *string `json:"content"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(&b); err != nil {
		return 400, errorBody("Problems parsing JSON: " + err.Error())
	}
	const doc = "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment"
	switch {
	case b.Content == nil:
		return validationFailed("Reaction", "content", "missing_field", "", doc)
	case !reactionContents[*b.Content]:
		return validationFailed("Reaction", "content", "invalid", *b.Content, doc)
	}
	id, err := strconv.ParseInt(r.PathValue("comment_id"), 10, 64)
	login, typ, _ := s.author(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	var c *comment
	for _, cc := range rp.comments {
		if cc.id == id {
			c = cc
		}
	}
	if err != nil || c == nil {
		return 404, errorBody("Not Found")
	}
	if rp.archived {
		return archivedBody()
	}
	for _, re := range c.reactions {
		if re.login == login && re.content == *b.Content {
			return 200, s.reactionJSON(re)
		}
	}
	re := reaction{id: s.id(), login: login, userType: typ, content: *b.Content, created: s.now().UTC().Truncate(time.Second)}
	c.reactions = append(c.reactions, re)
	return 201, s.reactionJSON(re)
}

func (s *Server) reactionJSON(re reaction) map[string]any {
	return map[string]any{
		"id": re.id, "node_id": nodeID("REA_", re.id), "user": s.userJSON(re.login, re.userType),
		"content": re.content, "created_at": ts(re.created),
	}
}

// reactionRollup counts reactions by content, as GitHub summarises them on
// comments and issues.
func reactionRollup(url string, reactions []reaction) map[string]any {
	m := map[string]any{"url": url, "total_count": len(reactions)}
	for c := range reactionContents {
		m[c] = 0
	}
	for _, re := range reactions {
		m[re.content] = m[re.content].(int) + 1
	}
	return m
}

func (s *Server) commentJSON(rp *Repo, c *comment) map[string]any {
	full := rp.FullName()
	u := fmt.Sprintf("%s/repos/%s/issues/comments/%d", s.api(), full, c.id)
	// A pull request's conversation lives under /pull/, an issue's under
	// /issues/.
	kind := "issues"
	if rp.pulls[c.number] != nil {
		kind = "pull"
	}
	var app any
	if c.viaApp {
		app = s.appJSON()
	}
	return map[string]any{
		"id": c.id, "node_id": nodeID("IC_", c.id), "url": u,
		"html_url":  fmt.Sprintf("%s/%s/%s/%d#issuecomment-%d", webHost, full, kind, c.number, c.id),
		"issue_url": fmt.Sprintf("%s/repos/%s/issues/%d", s.api(), full, c.number),
		"body":      c.body, "user": s.userJSON(c.author, c.authorType),
		"created_at": ts(c.created), "updated_at": ts(c.created),
		"author_association": c.association, "performed_via_github_app": app,
		"reactions": reactionRollup(u+"/reactions", c.reactions),
	}
}
