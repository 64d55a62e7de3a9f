package githubapp

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

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

func nonEmpty(v any) string {
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
	return answer{method: method, path: regexp.MustCompile("^" + pattern + "$"), fields: fields, shape: shapeOf(fields)}
}

func must(path string, rule func(any) string) field { return field{path: path, rule: rule} }

func may(path string, rule func(any) string) field {
	return field{path: path, rule: rule, nullable: true}
}

// answers lists the requests mergeguard sends and what their answers must
// hold. A request not listed is only checked to be JSON.
var answers = []answer{
	route("POST", "/app/installations/{installation_id}/access_tokens", must("token", nonEmpty), must("expires_at", nonEmpty)),
	route("GET", "/repos/{owner}/{repo}/pulls",
		must("[].number", positive), must("[].head.sha", sha), must("[].base.ref", ref), may("[].draft", boolean)),
	route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}",
		must("number", positive), must("state", oneOf("open", "closed")), must("head.sha", sha), must("base.sha", sha),
		must("base.ref", ref), must("head.ref", nonEmpty), must("user.login", login), may("merged_by.login", login)),
	route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", must("[].filename", nonEmpty), must("[].status", nonEmpty)),
	// A review's commit is null when the commit was deleted.
	route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
		must("[].id", positive), must("[].state", nonEmpty), may("[].commit_id", sha), may("[].user.login", login)),
	route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/commits", must("[].sha", sha)),
	route("GET", "/repos/{owner}/{repo}/compare/{basehead}",
		must("status", oneOf("ahead", "behind", "diverged", "identical")), may("files[].filename", nonEmpty), may("merge_base_commit.sha", sha)),
	route("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs", must("check_runs[].id", positive), must("check_runs[].name", nonEmpty)),
	route("POST", "/repos/{owner}/{repo}/check-runs", must("id", positive)),
	route("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", must("id", positive)),
	route("GET", "/orgs/{org}/teams/{team_slug}/members", must("[].login", login)),
	route("GET", "/repos/{owner}/{repo}", must("default_branch", ref)),
	route("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}", must("tree[].path", nonEmpty), must("tree[].type", nonEmpty), must("tree[].sha", sha)),
	route("GET", "/installation/repositories",
		must("repositories[].id", positive), must("repositories[].name", repoName), must("repositories[].owner.login", login)),
	route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", must("id", positive)),
	route("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", must("id", positive)),
	route("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", must("permission", nonEmpty)),
	route("GET", "/app/hook/deliveries", must("[].id", positive), must("[].guid", nonEmpty), must("[].delivered_at", nonEmpty)),
}
