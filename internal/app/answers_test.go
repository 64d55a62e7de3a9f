package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// rawGET reads what the fake GitHub answers now, outside the app, and
// leaves the request log empty.
func rawGET(t *testing.T, gh *fakegithub.Server, installation int64, path string) string {
	t.Helper()
	_, _, body := gh.Direct(installation, "GET", path, "")
	gh.ResetRequests()
	return body
}

// GitHub (or something between it and mergeguard) answers once with a
// head SHA that is not one, and once with a review on a "commit" that is a
// relative ref. Both answers are refused and read again; the evaluation
// goes on with the real ones, and no request ever carries the bad values.
func TestAMalformedAnswerIsRefusedAndNoRequestCarriesIt(t *testing.T) {
	const badHead, badCommit = "abc/../../orgs/acme", "HEAD~1"
	gh := fakegithub.New(t)
	pr := newPR(gh)
	pr.Review("alice", "APPROVED")
	pull := rawGET(t, gh, 77, "/repos/acme/shop/pulls/1")
	reviews := rawGET(t, gh, 77, "/repos/acme/shop/pulls/1/reviews")
	gh.Fail("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", 1, http.StatusOK, nil,
		strings.Replace(pull, `"sha":"`+pr.HeadSHA()+`"`, `"sha":"`+badHead+`"`, 1))
	gh.Fail("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", 1, http.StatusOK, nil,
		strings.ReplaceAll(reviews, pr.HeadSHA(), badCommit))

	h := start(t, gh, config{})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	runs := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
	if runs[0].Writes != 1 {
		t.Errorf("the check run was written %d times, want once", runs[0].Writes)
	}
	for _, r := range gh.Requests() {
		if strings.Contains(r.Path+"?"+r.Query, "abc") || strings.Contains(r.Path+"?"+r.Query, "HEAD") {
			t.Errorf("a request carries a value from a malformed answer: %s %s?%s", r.Method, r.Path, r.Query)
		}
	}
	if n := gh.Count("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"); n != 2 {
		t.Errorf("the pull request was read %d times, want 2 (the refused answer and its retry)", n)
	}
	for _, want := range []string{
		`problem="head.sha is a 19-character string, not a 40-character hexadecimal commit SHA"`,
		`problem="[0].commit_id is a 6-character string, not a 40-character hexadecimal commit SHA"`,
		"path=/api/v3/repos/acme/shop/pulls/1 status=200",
	} {
		if !h.logs.Contains(want) {
			t.Errorf("the log lacks %s", want)
		}
	}
	if h.logs.Contains("ghs_") {
		t.Error("the log holds an installation token")
	}
}
