package evaluator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
)

type gone struct{}

func (gone) Error() string   { return "gone" }
func (gone) Permanent() bool { return true }

func TestFailedEvaluationNamesTheKindOfFailureOnly(t *testing.T) {
	// The errors quote what an error may carry; none of it may reach the
	// check run, which everyone with read access sees.
	const private = "https://ghe.internal.example/api/v3/repos/acme/shop?sig=0123456789abcdef"
	wrap := func(err error) error { return fmt.Errorf("list files of acme/shop#1 via %s: %w", private, err) }
	forbidden := &github.ErrorResponse{Response: &http.Response{StatusCode: http.StatusForbidden, Request: &http.Request{Method: "GET"}}, Message: "Resource not accessible by integration"}
	tests := []struct {
		name   string
		cause  error
		want   string
		outage bool
	}{
		{"server errors", wrap(&githubapp.UnavailableError{Method: "GET", Path: "/x", Status: 502, Attempts: 3, Repeatable: true}), "server errors (last: HTTP 502)", true},
		{"no answer", wrap(&githubapp.UnavailableError{Method: "GET", Path: "/x", Attempts: 3, Repeatable: true, Err: context.DeadlineExceeded}), "did not answer", true},
		{"no connection", wrap(&githubapp.UnavailableError{Method: "GET", Path: "/x", Attempts: 3, Repeatable: true, Err: errors.New("connection refused")}), "could not connect", true},
		{"malformed answers", wrap(&githubapp.UnavailableError{Method: "GET", Path: "/x", Attempts: 3, Repeatable: true,
			Err: &githubapp.MalformedError{Method: "GET", Path: "/x", Status: 200, Problem: "head.sha is a 3-character string"}}), "not what GitHub sends", true},
		{"an outage", wrap(&githubapp.UnavailableError{Method: "GET", Path: "/x", Status: 503, Attempts: 1, Repeatable: true, Since: time.Now().Add(-2 * time.Hour)}),
			"answered none of mergeguard's requests", true},
		{"rate limit", wrap(&githubapp.RateLimitError{At: time.Now(), Status: 403}), "rate limit", false},
		{"permission", wrap(forbidden), "HTTP 403", false},
		{"job timeout", wrap(context.DeadlineExceeded), "time limit", false},
		{"permanent", wrap(gone{}), "cannot succeed", false},
		{"anything else", wrap(errors.New("the evaluation panicked: runtime error")), "internal error", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, out := failedEvaluation(decision.Enforce, "/guard", tt.cause, "delivery-42")
			if v.Conclusion != decision.Failure || out.Title != FailedTitle {
				t.Fatalf("conclusion %s, title %q", v.Conclusion, out.Title)
			}
			for _, want := range []string{tt.want, "/guard recheck", "push a commit", "`delivery-42`", "cannot decide"} {
				if !strings.Contains(out.Summary, want) {
					t.Errorf("summary lacks %q:\n%s", want, out.Summary)
				}
			}
			if strings.Contains(out.Summary, "githubstatus.com") != tt.outage {
				t.Errorf("mentions GitHub's status page: %v, want %v", !tt.outage, tt.outage)
			}
			for _, leak := range []string{"ghe.internal", "sig=", "panicked", "runtime error", "Resource not accessible"} {
				if strings.Contains(out.Summary, leak) {
					t.Errorf("summary quotes the error (%q):\n%s", leak, out.Summary)
				}
			}
		})
	}
}

func TestFailedEvaluationInReportModeDoesNotBlock(t *testing.T) {
	v, out := failedEvaluation(decision.Report, "", errors.New("x"), "")
	if v.Conclusion != decision.Neutral || !strings.Contains(out.Summary, "report-only") || strings.Contains(out.Summary, "recheck") {
		t.Fatalf("report mode: %s\n%s", v.Conclusion, out.Summary)
	}
}
