package githubapp

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

func TestRepeatable(t *testing.T) {
	tests := []struct {
		method, path string
		body         string
		noGetBody    bool
		want         bool
	}{
		{"GET", "/api/v3/repos/a/b/pulls/1", "", false, true},
		{"HEAD", "/repos/a/b", "", false, true},
		{"PUT", "/repos/a/b/thing", "{}", false, true},
		{"DELETE", "/repos/a/b/thing", "", false, true},
		{"POST", "/api/v3/app/installations/7/access_tokens", "", false, true},
		{"POST", "/repos/a/b/issues/comments/9/reactions", `{"content":"eyes"}`, false, true},
		{"POST", "/repos/a/b/check-runs", `{"name":"x"}`, false, false},
		{"POST", "/repos/a/b/issues/1/comments", `{"body":"x"}`, false, false},
		{"PATCH", "/repos/a/b/check-runs/5", `{"name":"x"}`, false, false},
		{"PUT", "/repos/a/b/thing", "{}", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = bytes.NewReader([]byte(tt.body))
			}
			req, _ := http.NewRequest(tt.method, "https://api.github.com"+tt.path, body)
			if tt.noGetBody {
				req.GetBody = nil
			}
			if got := repeatable(req); got != tt.want {
				t.Fatalf("repeatable = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNotSent(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	read := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	if !notSent(dial) || notSent(read) || notSent(io.ErrUnexpectedEOF) {
		t.Fatal("only a failed dial proves a request never left")
	}
}

func TestBackoffStaysBelowItsBound(t *testing.T) {
	g := &guarded{policy: RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()}
	for attempt := 1; attempt <= 70; attempt++ {
		bound := min(100*time.Millisecond<<min(attempt-1, 20), time.Second)
		for range 50 {
			if d := g.backoff(attempt); d < 0 || d > bound {
				t.Fatalf("attempt %d waited %s, bound %s", attempt, d, bound)
			}
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "5", "-3", "120", "Wed, 21 Oct 2015 07:28:00 GMT", "soon", " 7 ", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2015, 10, 21, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		resp := &http.Response{Header: http.Header{"Retry-After": {v}}}
		d := retryAfter(resp, now)
		if d < 0 {
			t.Fatalf("Retry-After %q gave a negative wait %s", v, d)
		}
		if strings.TrimSpace(v) == "" && d != 0 {
			t.Fatalf("an empty Retry-After gave %s", d)
		}
	})
}

// A refused request is sent again after the wait only when its body can be
// sent again; otherwise the limit goes back to the caller at once.
func TestARequestWhoseBodyCannotBeSentAgainIsNotWaitedFor(t *testing.T) {
	m := metrics.New()
	sent := 0
	g := &guarded{
		next: roundTripFunc(func(*http.Request) (*http.Response, error) {
			sent++
			return nil, &RateLimitError{At: t0.Add(time.Second), Secondary: true, Message: "secondary"}
		}),
		gate: newGate("5", 0, func() time.Time { return t0 }, m, slog.New(slog.DiscardHandler)), policy: RetryPolicy{}.withDefaults(),
		timeout: time.Second, maxWait: 30 * time.Second, now: func() time.Time { return t0 }, metrics: m,
	}
	req, _ := http.NewRequest(http.MethodPost, "https://api.github.com/repos/a/b/check-runs", strings.NewReader(`{"name":"x"}`))
	req.GetBody = nil
	_, err := g.RoundTrip(req)
	var rl *RateLimitError
	if !errors.As(err, &rl) || sent != 1 {
		t.Fatalf("got %v after %d sends, want the limit after one", err, sent)
	}
}
