package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// GitHub answers one of the evaluation's reads with 502 every time: each
// attempt retries it, the job runs out of attempts, and the pull request
// shows a failed check run that says so and how to try again. Once GitHub
// recovers, the next event replaces it with a verdict.
func TestAnEvaluationThatKeepsFailingEndsWithAFailedCheckRun(t *testing.T) {
	const filesRoute = "/repos/{owner}/{repo}/pulls/{pull_number}/files"
	gh := fakegithub.New(t)
	pr := newPR(gh)
	// Two job attempts of five requests each.
	gh.Fail("GET", filesRoute, 10, http.StatusBadGateway, nil, `{"message":"Server Error"}`)
	h := start(t, gh, config{maxAttempts: 2})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))

	runs := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), func(rs []fakegithub.CheckRun) bool {
		return len(rs) == 1 && rs[0].Title == evaluator.FailedTitle
	})
	if runs[0].Status != "completed" || runs[0].Conclusion != "failure" {
		t.Fatalf("check run %s/%s, want completed/failure", runs[0].Status, runs[0].Conclusion)
	}
	for _, want := range []string{"HTTP 502", "push a commit", "githubstatus.com", "delivery ID"} {
		if !strings.Contains(runs[0].Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, runs[0].Summary)
		}
	}
	if strings.Contains(runs[0].Summary, "127.0.0.1") || strings.Contains(runs[0].Summary, "/api/v3") {
		t.Errorf("summary quotes the error:\n%s", runs[0].Summary)
	}
	if n := gh.Count("GET", filesRoute); n != 10 {
		t.Errorf("GitHub saw %d reads of the files, want 10 (5 per attempt, 2 attempts)", n)
	}
	wait.Until(t, 5*time.Second, "the failure's metrics", func() bool {
		_, body := h.get("/metrics")
		return strings.Contains(body, `mergeguard_evaluations_failed_total{reason="retries_exhausted"} 1`) &&
			strings.Contains(body, `mergeguard_github_retries_total{reason="server_error"} 8`)
	})

	// GitHub has recovered; the next event brings a verdict.
	h.deliver("pull_request", "", gh.Payload("pull_request", "edited", pr, nil))
	runs = waitCheck(t, gh, "acme/shop", pr.HeadSHA(), func(rs []fakegithub.CheckRun) bool {
		return len(rs) == 1 && rs[0].Title != evaluator.FailedTitle
	})
	if !strings.HasPrefix(runs[0].Title, "Blocked by") {
		t.Fatalf("after recovery the check run shows %q", runs[0].Title)
	}
}
