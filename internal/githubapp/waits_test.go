package githubapp_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/testsupport/logbuf"
)

// A limit that ends within the wait bound is waited out where the request
// was made, and the request is then sent: the caller sees its answer, not
// the limit, and nothing was sent while the limit held.
func TestShortRateLimitsAreWaitedOutInPlace(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header func(now time.Time) http.Header
		body   string
		wait   time.Duration
	}{
		{"secondary limit, Retry-After: 1", http.StatusForbidden,
			func(time.Time) http.Header { return http.Header{"Retry-After": {"1"}} },
			`{"message":"You have exceeded a secondary rate limit."}`, time.Second},
		{"primary limit, reset in 2 seconds", http.StatusForbidden,
			func(now time.Time) http.Header {
				return http.Header{"X-RateLimit-Remaining": {"0"}, "X-RateLimit-Reset": {strconv.FormatInt(now.Add(2*time.Second).Unix(), 10)}}
			}, `{"message":"API rate limit exceeded for installation ID 7."}`, 2 * time.Second},
		{"429, Retry-After: 20", http.StatusTooManyRequests,
			func(time.Time) http.Header { return http.Header{"Retry-After": {"20"}} }, `{"message":"slow down"}`, 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFaulty(t, nil)
			f.warm(t)
			f.gh.Fail("GET", pullRoute, 1, tt.status, tt.header(f.clock.Now()), tt.body)
			pr, err := f.get(7)
			if err != nil || pr.Number != 1 {
				t.Fatalf("want the pull request after the wait, got %v", err)
			}
			if n := f.gh.Count("GET", pullRoute); n != 2 {
				t.Fatalf("GitHub saw %d requests, want 2 (refused, then after the wait)", n)
			}
			waits := f.waits()
			if len(waits) != 1 || waits[0] < tt.wait || waits[0] > tt.wait+tt.wait/10+100*time.Millisecond {
				t.Fatalf("waited %v, want %s plus a little jitter", waits, tt.wait)
			}
			if got := testutil.ToFloat64(f.metrics.GitHubWaits.WithLabelValues(metrics.WaitRateLimit, metrics.WaitInPlace)); got != 1 {
				t.Errorf("%v waits in place counted, want 1", got)
			}
		})
	}
}

// GitHub carries out nothing it refuses with a rate limit, so even a write
// is sent again once the limit has passed: one check run, not none.
func TestAWriteRefusedByARateLimitIsSentAfterTheWait(t *testing.T) {
	const route = "/repos/{owner}/{repo}/check-runs"
	f := newFaulty(t, nil)
	f.warm(t)
	f.gh.Fail("POST", route, 1, http.StatusForbidden, http.Header{"Retry-After": {"1"}}, `{"message":"You have exceeded a secondary rate limit."}`)
	pr, err := f.get(7)
	if err != nil {
		t.Fatal(err)
	}
	sha := pr.Head.SHA
	id, err := f.app.Installation(7).CreateCheckRun(context.Background(), "acme", "shop", decision.CheckRunWrite{Name: "mergeguard", HeadSHA: sha})
	if err != nil || id == 0 {
		t.Fatalf("create after the wait: %d, %v", id, err)
	}
	if n := f.gh.Count("POST", route); n != 2 {
		t.Fatalf("the POST was sent %d times, want 2", n)
	}
	if runs := f.gh.CheckRuns("acme/shop", sha); len(runs) != 1 {
		t.Fatalf("%d check runs, want 1", len(runs))
	}
}

// A wait the caller's deadline does not leave room for goes back to the
// caller (the queue reschedules the job) without sending anything.
func TestAWaitPastTheCallersDeadlineIsHandedBack(t *testing.T) {
	f := newFaulty(t, nil)
	f.warm(t)
	f.gh.Fail("GET", pullRoute, 1, http.StatusForbidden, http.Header{"Retry-After": {"5"}}, `{"message":"You have exceeded a secondary rate limit."}`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := f.app.Installation(7).PullRequest(ctx, "acme", "shop", 1)
	var rl *githubapp.RateLimitError
	if !errors.As(err, &rl) || !rl.Secondary {
		t.Fatalf("want the rate limit handed back, got %v", err)
	}
	if n := f.gh.Count("GET", pullRoute); n != 1 || len(f.waits()) != 0 {
		t.Fatalf("%d requests and waits %v, want 1 and none", n, f.waits())
	}
	if got := testutil.ToFloat64(f.metrics.GitHubWaits.WithLabelValues(metrics.WaitRateLimit, metrics.WaitHandedBack)); got != 1 {
		t.Errorf("%v hand-backs counted, want 1", got)
	}
}

// A secondary limit halves the installation's concurrency; the other
// installation keeps its own.
func TestASecondaryLimitHalvesTheInstallationsConcurrency(t *testing.T) {
	f := newFaulty(t, nil)
	f.warm(t)
	gauge := func(id string) float64 { return testutil.ToFloat64(f.metrics.GitHubConcurrency.WithLabelValues(id)) }
	if gauge("7") != 8 || gauge("8") != 8 {
		t.Fatalf("concurrency starts at %v and %v, want 8", gauge("7"), gauge("8"))
	}
	f.gh.Fail("GET", pullRoute, 1, http.StatusForbidden, http.Header{"Retry-After": {"1"}}, `{"message":"You have exceeded a secondary rate limit."}`)
	if _, err := f.get(7); err != nil {
		t.Fatal(err)
	}
	if gauge("7") != 4 || gauge("8") != 8 {
		t.Fatalf("after a secondary limit: %v and %v, want 4 and 8", gauge("7"), gauge("8"))
	}
}

// When GitHub stops answering an installation, its requests stop too: one
// probe every few seconds, and the callers learn that GitHub is down (so
// jobs wait rather than spend attempts). The first answer ends it.
func TestAnOutageHoldsRequestsUntilAProbeIsAnswered(t *testing.T) {
	logs := &logbuf.Buffer{}
	f := newFaulty(t, func(c *githubapp.Config) { c.Log = slog.New(slog.NewTextHandler(logs, nil)) })
	f.warm(t)
	available := func() float64 { return testutil.ToFloat64(f.metrics.GitHubAvailable.WithLabelValues("7")) }
	badGateway := func(n int) {
		f.gh.Fail("GET", pullRoute, n, http.StatusBadGateway, http.Header{"Content-Type": {"text/html"}}, `<html><body>Bad gateway</body></html>`)
	}
	badGateway(10)

	// Five attempts fail: a bad moment, not yet an outage.
	_, err := f.get(7)
	var ue *githubapp.UnavailableError
	if !errors.As(err, &ue) || ue.Attempts != 5 || !ue.OutageSince().IsZero() || available() != 1 {
		t.Fatalf("first request: %v (outage since %v), want five failed attempts and no outage", err, ue.OutageSince())
	}
	// Five more, seconds later: GitHub is down.
	f.clock.Advance(5 * time.Second)
	_, err = f.get(7)
	if !errors.As(err, &ue) || ue.OutageSince().IsZero() || available() != 0 {
		t.Fatalf("second request: %v, want an outage", err)
	}
	sent := f.gh.Count("", "")
	if sent != 10 {
		t.Fatalf("GitHub saw %d requests, want 10", sent)
	}
	// Now nothing is sent, whatever the callers ask for.
	for range 3 {
		_, err := f.app.Installation(7).PullRequestReviews(context.Background(), "acme", "shop", 1)
		if !errors.As(err, &ue) || ue.Attempts != 0 || ue.OutageSince().IsZero() || !strings.Contains(err.Error(), "not sent") {
			t.Fatalf("during the outage: %v, want it not sent", err)
		}
	}
	if _, err := f.get(8); err != nil {
		t.Fatalf("another installation is not held: %v", err)
	}
	if n := f.gh.Count("", ""); n != sent+1 {
		t.Fatalf("GitHub saw %d requests during the outage, want only the other installation's", n-sent)
	}
	// A probe after a few seconds: GitHub still fails it, and the next
	// probe waits again.
	badGateway(1)
	f.clock.Advance(5 * time.Second)
	if _, err := f.get(7); !errors.As(err, &ue) || ue.Attempts != 1 {
		t.Fatalf("failed probe: %v, want one attempt and no retry during the outage", err)
	}
	if _, err := f.get(7); !errors.As(err, &ue) || ue.Attempts != 0 {
		t.Fatalf("right after a failed probe: %v, want it not sent", err)
	}
	f.clock.Advance(5 * time.Second)
	if _, err := f.get(7); err != nil {
		t.Fatalf("GitHub answers the probe: %v", err)
	}
	if available() != 1 {
		t.Fatal("the installation is still marked unavailable")
	}
	if _, err := f.app.Installation(7).PullRequestReviews(context.Background(), "acme", "shop", 1); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	out := logs.String()
	if strings.Count(out, "GitHub is not answering") != 1 || strings.Count(out, "GitHub answers this installation's requests again") != 1 {
		t.Errorf("want one line per change of state, got:\n%s", out)
	}
}

// An installation sends at most 80 content-creating requests a minute: the
// 81st waits for the first to be a minute old; a wait that long goes back
// to the caller, without sending anything.
func TestWritesArePacedWithinGitHubsEightyAMinute(t *testing.T) {
	const route = "/repos/{owner}/{repo}/check-runs"
	f := newFaulty(t, nil)
	f.warm(t)
	pr, err := f.get(7)
	if err != nil {
		t.Fatal(err)
	}
	create := func() error {
		_, err := f.app.Installation(7).CreateCheckRun(context.Background(), "acme", "shop", decision.CheckRunWrite{Name: "mergeguard", HeadSHA: pr.Head.SHA})
		return err
	}
	for i := range githubapp.WritesPerMinute {
		if err := create(); err != nil {
			t.Fatalf("write %d: %v", i+1, err)
		}
	}
	err = create()
	var rl *githubapp.RateLimitError
	if !errors.As(err, &rl) || !rl.Held || !strings.Contains(err.Error(), "80 content-creating requests a minute") {
		t.Fatalf("the 81st write: %v, want it held back", err)
	}
	if n := f.gh.Count("POST", route); n != githubapp.WritesPerMinute {
		t.Fatalf("%d writes reached GitHub, want 80", n)
	}
	if _, err := f.get(7); err != nil {
		t.Fatalf("reads are not paced: %v", err)
	}
	if got := testutil.ToFloat64(f.metrics.GitHubWaits.WithLabelValues(metrics.WaitWritePace, metrics.WaitHandedBack)); got != 1 {
		t.Errorf("%v paced writes handed back, want 1", got)
	}
	// A minute later the writes go again.
	f.clock.Advance(time.Minute)
	if err := create(); err != nil {
		t.Fatalf("a minute later: %v", err)
	}
}
