package githubapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// MalformedError is an answer GitHub would not send: not JSON where JSON
// was asked for, a commit SHA that is not 40 hexadecimal characters, a
// required field missing. Such an answer (a proxy's page, a truncated or
// corrupted body) is refused before anything reads it, so none of its
// values reaches a URL or a verdict; it is handled like a server error:
// reads are sent again, and the job is retried.
type MalformedError struct {
	Method string
	Path   string
	Status int
	// Problem says what is wrong, without quoting the answer (it may hold
	// a token).
	Problem string
	// header is the answer's, whose rate-limit headers still count.
	header http.Header
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("GitHub's answer to %s %s (HTTP %d) is not what GitHub sends: %s", e.Method, e.Path, e.Status, e.Problem)
}

// maxAnswer bounds the answer read for checking: GitHub's largest answers
// (a recursive tree) stay under 7 MB.
const maxAnswer = 32 << 20

// checkedAnswers sits right above baseTransport, below the retries and the
// conditional-request cache: a malformed answer becomes an error the
// retries treat like a server error, and is never cached.
type checkedAnswers struct {
	next http.RoundTripper
	// prefix is the API root's path ("" for api.github.com, "/api/v3" for
	// GitHub Enterprise Server).
	prefix  string
	log     *slog.Logger
	metrics *metrics.Metrics
}

func (c *checkedAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read GitHub's answer to %s %s: %w", req.Method, req.URL.Path, err)
	}
	problem := ""
	if len(body) > maxAnswer {
		problem = fmt.Sprintf("the answer is larger than %d MB", maxAnswer>>20)
	} else {
		problem = c.check(req, resp, body)
	}
	if problem != "" {
		c.metrics.GitHubMalformed.WithLabelValues(req.Method).Inc()
		// The request, never its headers (the token) nor the answer.
		c.log.Warn("GitHub's answer is not what GitHub sends; refused, and handled like a server error",
			"method", req.Method, "path", req.URL.Path, "status", resp.StatusCode,
			"content_type", resp.Header.Get("Content-Type"), "problem", problem)
		return nil, &MalformedError{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Problem: problem, header: resp.Header}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// check returns what is wrong with an answer, or "".
func (c *checkedAnswers) check(req *http.Request, resp *http.Response, body []byte) string {
	accept := req.Header.Get("Accept")
	switch {
	case strings.Contains(accept, ".sha"):
		if sha := strings.TrimSpace(string(body)); !isSHA(sha) {
			return fmt.Sprintf("the commit SHA asked for is %s, not %s", describe(sha), shaForm)
		}
		return ""
	case strings.Contains(accept, ".raw"):
		return "" // a file's bytes, whatever they are
	}
	media, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || media != "application/json" && !strings.HasSuffix(media, "+json") {
		return fmt.Sprintf("the answer's Content-Type is %q, not JSON", resp.Header.Get("Content-Type"))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "the answer is not valid JSON"
	}
	if dec.More() {
		return "the answer has data after its JSON value"
	}
	rel := strings.TrimPrefix(req.URL.Path, c.prefix)
	for _, a := range answers {
		if a.method == req.Method && a.path.MatchString(rel) {
			return a.check(v)
		}
	}
	return ""
}

// answer is what GitHub's answer to one kind of request must hold: the
// fields mergeguard reads that would do harm if wrong (they go into URLs,
// job keys, verdicts), as GitHub's OpenAPI description specifies them.
type answer struct {
	method string
	path   *regexp.Regexp
	fields []field
}

func (a answer) check(v any) string {
	for _, f := range a.fields {
		if p := f.check(v); p != "" {
			return p
		}
	}
	return ""
}

// field is a rule for the values at a path: dot-separated names, "[]" for
// each element of a list ("[].sha": the sha of each element of the answer,
// a list).
type field struct {
	path string
	// nullable lets the value (or an object on the way) be absent or null.
	nullable bool
	rule     func(v any) string
}

func (f field) check(v any) string {
	return walk(v, strings.FieldsFunc(strings.ReplaceAll(f.path, "[]", ".[]"), func(r rune) bool { return r == '.' }), "", f)
}

func walk(v any, steps []string, at string, f field) string {
	if v == nil {
		if f.nullable {
			return ""
		}
		return where(at) + " is missing"
	}
	if len(steps) == 0 {
		if p := f.rule(v); p != "" {
			return where(at) + " " + p
		}
		return ""
	}
	if steps[0] == "[]" {
		list, ok := v.([]any)
		if !ok {
			return where(at) + " is not a list"
		}
		for i, item := range list {
			if p := walk(item, steps[1:], fmt.Sprintf("%s[%d]", at, i), f); p != "" {
				return p
			}
		}
		return ""
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return where(at) + " is not an object"
	}
	next := steps[0]
	if at != "" {
		next = at + "." + steps[0]
	}
	return walk(obj[steps[0]], steps[1:], next, f)
}

func where(at string) string {
	if at == "" {
		return "the answer"
	}
	return at
}

const shaForm = "a 40-character hexadecimal commit SHA"

var shaPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

func isSHA(s string) bool { return shaPattern.MatchString(s) }

// describe says what a value is without quoting it.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("a %d-character string", len(x))
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}

func sha(v any) string {
	if s, ok := v.(string); ok && isSHA(s) {
		return ""
	}
	return "is " + describe(v) + ", not " + shaForm
}

func positive(v any) string {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil && i > 0 {
			return ""
		}
	}
	return "is " + describe(v) + ", not a positive whole number"
}

func text(v any) string {
	if s, ok := v.(string); ok && s != "" {
		return ""
	}
	return "is " + describe(v) + ", not a non-empty string"
}

func boolean(v any) string {
	if _, ok := v.(bool); ok {
		return ""
	}
	return "is " + describe(v) + ", not a boolean"
}

func oneOf(values ...string) func(any) string {
	return func(v any) string {
		if s, ok := v.(string); ok {
			for _, want := range values {
				if s == want {
					return ""
				}
			}
			return fmt.Sprintf("is none of %s", strings.Join(values, ", "))
		}
		return "is " + describe(v) + ", not a string"
	}
}

// GitHub's names: an account's login, a repository's name, a git ref. Each
// goes into URLs, so nothing that could change a URL's shape gets through.
var (
	// Enterprise managed users' logins end in _shortcode.
	loginPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*(?:\[bot\])?$`)
	repoPattern  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

func login(v any) string {
	if s, ok := v.(string); ok && len(s) <= 100 && loginPattern.MatchString(s) {
		return ""
	}
	return "is " + describe(v) + ", not a GitHub login"
}

func repoName(v any) string {
	if s, ok := v.(string); ok && len(s) <= 100 && repoPattern.MatchString(s) && s != "." && s != ".." {
		return ""
	}
	return "is " + describe(v) + ", not a repository name"
}

// ref is a branch name as git allows it (git check-ref-format, roughly).
func ref(v any) string {
	s, ok := v.(string)
	if ok && s != "" && len(s) <= 255 && !strings.Contains(s, "..") && !strings.HasPrefix(s, "/") && !strings.HasSuffix(s, "/") &&
		!strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) }) {
		return ""
	}
	return "is " + describe(v) + ", not a branch name"
}

func route(method, path string, fields ...field) answer {
	// {x} is one path segment. (The templates hold no other regular
	// expression syntax.)
	pattern := regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(path, `[^/]+`)
	return answer{method: method, path: regexp.MustCompile("^" + pattern + "$"), fields: fields}
}

func must(path string, rule func(any) string) field { return field{path: path, rule: rule} }

func may(path string, rule func(any) string) field {
	return field{path: path, rule: rule, nullable: true}
}

// answers lists the requests mergeguard sends and what their answers must
// hold. A request not listed is only checked to be JSON.
var answers = []answer{
	route("POST", "/app/installations/{installation_id}/access_tokens", must("token", text), must("expires_at", text)),
	route("GET", "/repos/{owner}/{repo}/pulls",
		must("[].number", positive), must("[].head.sha", sha), must("[].base.ref", ref), may("[].draft", boolean)),
	route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}",
		must("number", positive), must("state", oneOf("open", "closed")), must("head.sha", sha), must("base.sha", sha),
		must("base.ref", ref), must("head.ref", text), must("user.login", login), may("merged_by.login", login)),
	route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", must("[].filename", text), must("[].status", text)),
	// A review's commit is null when the commit was deleted.
	route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
		must("[].id", positive), must("[].state", text), may("[].commit_id", sha), may("[].user.login", login)),
	route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/commits", must("[].sha", sha)),
	route("GET", "/repos/{owner}/{repo}/compare/{basehead}",
		must("status", oneOf("ahead", "behind", "diverged", "identical")), may("files[].filename", text)),
	route("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs", must("check_runs[].id", positive), must("check_runs[].name", text)),
	route("POST", "/repos/{owner}/{repo}/check-runs", must("id", positive)),
	route("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", must("id", positive)),
	route("GET", "/orgs/{org}/teams/{team_slug}/members", must("[].login", login)),
	route("GET", "/repos/{owner}/{repo}", must("default_branch", ref)),
	route("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}", must("tree[].path", text), must("tree[].type", text), must("tree[].sha", sha)),
	route("GET", "/installation/repositories",
		must("repositories[].id", positive), must("repositories[].name", repoName), must("repositories[].owner.login", login)),
	route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", must("id", positive)),
	route("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", must("id", positive)),
	route("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", must("permission", text)),
	route("GET", "/app/hook/deliveries", must("[].id", positive), must("[].guid", text), must("[].delivered_at", text)),
}
