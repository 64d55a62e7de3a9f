package githubapp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// An answer GitHub would not send is refused before anything reads it, and
// handled like a server error: a read is sent again, and each answer is
// held to the same checks, so no value from it reaches a URL.
func TestMalformedAnswersAreRefusedLikeServerErrors(t *testing.T) {
	html := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	ctx := context.Background()
	pull := func(inst *githubapp.Installation) error {
		_, err := inst.PullRequest(ctx, "acme", "shop", 1)
		return err
	}
	tests := []struct {
		name, method, route string
		header              http.Header
		body                string
		call                func(*githubapp.Installation) error
		// requests is how many GitHub answers: reads are retried.
		requests int
		problem  string
	}{
		{name: "a head SHA that is not 40 hex", method: "GET", route: pullRoute, requests: 5, call: pull,
			body:    strings.Replace(minimalPR, "1111111111111111111111111111111111111111", "abc/../../orgs/acme", 1),
			problem: "head.sha is a 19-character string, not a 40-character hexadecimal commit SHA"},
		{name: "a required field missing", method: "GET", route: pullRoute, requests: 5, call: pull,
			body: strings.Replace(minimalPR, `"number":1,`, "", 1), problem: "number is missing"},
		{name: "an object where GitHub sends a string", method: "GET", route: pullRoute, requests: 5, call: pull,
			body:    strings.Replace(minimalPR, `"head":{`, `"head":"feature","x":{`, 1),
			problem: "head is a JSON string, where GitHub sends an object"},
		{name: "an object where GitHub sends a list", method: "GET", route: pullRoute + "/reviews", requests: 5,
			body: `{"message":"Moved Permanently"}`,
			call: func(inst *githubapp.Installation) error {
				_, err := inst.PullRequestReviews(ctx, "acme", "shop", 1)
				return err
			}, problem: "the answer is a JSON object, where GitHub sends a list"},
		{name: "an HTML page with 200", method: "GET", route: pullRoute, requests: 5, call: pull, header: html,
			body: "<html><body>Please sign in to the proxy</body></html>", problem: "Content-Type is"},
		{name: "JSON cut short", method: "GET", route: pullRoute, requests: 5, call: pull,
			body: minimalPR[:40], problem: "not valid JSON"},
		{name: "a commit SHA asked for as text", method: "GET", route: "/repos/{owner}/{repo}/commits/{ref}", requests: 5,
			header: http.Header{"Content-Type": {"application/vnd.github.sha"}}, body: "main",
			call: func(inst *githubapp.Installation) error {
				_, err := inst.CommitSHA(ctx, "acme", "shop", "main")
				return err
			}, problem: "the commit SHA asked for is a 4-character string"},
		{name: "a reviewed commit that is not a SHA", method: "GET", route: pullRoute + "/reviews", requests: 5,
			body: `[{"id":5,"state":"APPROVED","commit_id":"HEAD~1","user":{"login":"jonas"}}]`,
			call: func(inst *githubapp.Installation) error {
				_, err := inst.PullRequestReviews(ctx, "acme", "shop", 1)
				return err
			}, problem: "[0].commit_id is a 6-character string"},
		{name: "a repository name that would change a URL", method: "GET", route: "/installation/repositories", requests: 5,
			body: `{"total_count":1,"repositories":[{"id":9,"name":"../../orgs","owner":{"login":"acme"}}]}`,
			call: func(inst *githubapp.Installation) error {
				_, err := inst.Repositories(ctx)
				return err
			}, problem: "repositories[0].name is a 10-character string, not a repository name"},
		// A write is not sent again: GitHub may have carried it out, and
		// the publisher looks before it creates.
		{name: "a created check run without an ID", method: "POST", route: "/repos/{owner}/{repo}/check-runs", requests: 1,
			body: `{"name":"mergeguard"}`,
			call: func(inst *githubapp.Installation) error {
				_, err := inst.CreateCheckRun(ctx, "acme", "shop", checkRunFor())
				return err
			}, problem: "id is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFaulty(t, nil)
			f.warm(t)
			f.gh.Fail(tt.method, tt.route, 10, http.StatusOK, tt.header, tt.body)
			err := tt.call(f.app.Installation(7))
			var malformed *githubapp.MalformedError
			var unavailable *githubapp.UnavailableError
			if !errors.As(err, &malformed) || !errors.As(err, &unavailable) {
				t.Fatalf("got %v, want a malformed answer handled like a server error", err)
			}
			if malformed.Status != 200 || malformed.Method != tt.method || !strings.Contains(malformed.Problem, tt.problem) {
				t.Errorf("malformed answer %+v, want the problem %q", malformed, tt.problem)
			}
			if n := f.gh.Count("", ""); n != tt.requests {
				t.Errorf("GitHub saw %d requests, want %d", n, tt.requests)
			}
			if got := testutil.ToFloat64(f.metrics.GitHubMalformed.WithLabelValues(tt.method)); got != float64(tt.requests) {
				t.Errorf("malformed answers counted %v, want %d", got, tt.requests)
			}
			if strings.Contains(err.Error(), "abc/..") || strings.Contains(err.Error(), "sign in") {
				t.Errorf("the error quotes the answer: %v", err)
			}
			// The operator's log names the request and what was wrong,
			// never the token nor the answer.
			logs := f.logs.String()
			for _, want := range []string{"method=" + tt.method, "path=" + f.gh.Requests()[0].Path, "status=200", tt.problem} {
				if !strings.Contains(logs, want) {
					t.Errorf("the log lacks %q:\n%s", want, logs)
				}
			}
			if strings.Contains(logs, "ghs_") || strings.Contains(logs, "abc/..") || strings.Contains(logs, "sign in") {
				t.Errorf("the log quotes a token or the answer:\n%s", logs)
			}
			for _, r := range f.gh.Requests() {
				if r.Route != tt.route {
					t.Errorf("a request followed the malformed answer: %s %s", r.Method, r.Path)
				}
			}
		})
	}
}

// A malformed answer is never kept for conditional requests. A proxy that
// mangled GitHub's body kept GitHub's ETag: had the answer been kept, the
// next read would be answered 304 and served the mangled body again.
func TestAMalformedAnswerIsNotKeptForConditionalRequests(t *testing.T) {
	f := newFaulty(t, nil)
	inst := f.app.Installation(7)
	if _, err := inst.Repositories(context.Background()); err != nil { // the token
		t.Fatal(err)
	}
	f.gh.ResetRequests()
	etag := realETag(t, f.gh, "/repos/acme/shop/pulls/1")
	f.gh.Fail("GET", pullRoute, 1, http.StatusOK, http.Header{"Etag": {etag}},
		strings.Replace(minimalPR, "1111111111111111111111111111111111111111", "abc", 1))
	for range 2 {
		pr, err := f.get(7)
		if err != nil {
			t.Fatal(err)
		}
		if sha := pr.Head.SHA; sha != fakegithub.FakeSHA("head", "acme/shop", "1") {
			t.Fatalf("head %q, want the pull request's real head", sha)
		}
	}
	var got []string
	for _, r := range f.gh.Requests() {
		if r.Route == pullRoute {
			got = append(got, fmt.Sprintf("%d/%v", r.Status, r.IfNoneMatch))
		}
	}
	// The refused answer, its retry (unconditional: nothing was kept), and
	// the next read, answered 304 from the real answer.
	if want := "200/false 200/false 304/true"; strings.Join(got, " ") != want {
		t.Errorf("reads of the pull request (status/conditional): %v, want %s", got, want)
	}
	if f.retries("malformed") != 1 {
		t.Errorf("retries for a malformed answer: %v, want 1", f.retries("malformed"))
	}
}

// realETag is the ETag GitHub gives a resource now, read outside the App's
// client.
func realETag(t *testing.T, gh *fakegithub.Server, path string) string {
	t.Helper()
	_, header, _ := gh.Direct(7, "GET", path, "")
	gh.ResetRequests()
	return header.Get("ETag")
}

func checkRunFor() decision.CheckRunWrite {
	return decision.CheckRunWrite{Name: "mergeguard", HeadSHA: fakegithub.FakeSHA("x")}
}
