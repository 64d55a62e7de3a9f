package githubapp_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/logbuf"
	"github.com/mergeguard/mergeguard/internal/testsupport/manualclock"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

const pullRoute = "/repos/{owner}/{repo}/pulls/{pull_number}"

// minimalPR is a pull request with only the fields mergeguard checks in
// GitHub's answers.
const minimalPR = `{"number":1,"state":"open","user":{"login":"dev"},
	"head":{"ref":"feature","sha":"1111111111111111111111111111111111111111"},
	"base":{"ref":"main","sha":"2222222222222222222222222222222222222222"}}`

// newClock is a settable clock. It starts an hour behind the real one: a reset
// time the app's clock has not reached is then already past for go-github,
// which keeps its own real-time memory of exhausted limits, so the tests
// see the gate's decisions alone.
func newClock() *manualclock.Clock {
	return manualclock.New(time.Now().Add(-time.Hour).Truncate(time.Second))
}

// faulty is an App talking to a fake GitHub that injects faults, with an
// injected clock and instant, recorded waits that move the clock on.
type faulty struct {
	gh      *fakegithub.Server
	app     *githubapp.App
	metrics *metrics.Metrics
	clock   *manualclock.Clock
	logs    *logbuf.Buffer

	mu     sync.Mutex
	sleeps []time.Duration
}

func newFaulty(t *testing.T, tune func(*githubapp.Config)) *faulty {
	t.Helper()
	f := &faulty{gh: fakegithub.New(t), metrics: metrics.New(), clock: newClock(), logs: &logbuf.Buffer{}}
	for _, inst := range []struct {
		id          int64
		owner, repo string
	}{{7, "acme", "shop"}, {8, "globex", "web"}} {
		f.gh.AddRepo(inst.id, inst.owner, inst.repo).OpenPR(fakegithub.PRSpec{Title: "change", Author: "dev"})
	}
	cfg := githubapp.Config{
		AppID: f.gh.AppID(), PrivateKey: f.gh.PrivateKey(), BaseURL: f.gh.URL(), Metrics: f.metrics, Now: f.clock.Now,
		Log: slog.New(slog.NewTextHandler(f.logs, nil)),
		Retry: githubapp.RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.sleeps = append(f.sleeps, d)
			f.clock.Advance(d)
			return ctx.Err()
		}},
	}
	if tune != nil {
		tune(&cfg)
	}
	app, err := githubapp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.app = app
	return f
}

func (f *faulty) waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// warm creates both installations' tokens, so later counts are of API
// requests alone, and clears the request log.
func (f *faulty) warm(t *testing.T) {
	t.Helper()
	for _, id := range []int64{7, 8} {
		if _, err := f.get(id); err != nil {
			t.Fatal(err)
		}
	}
	f.gh.ResetRequests()
}

func (f *faulty) get(installation int64) (decision.PullRequestDetails, error) {
	owner, repo := "acme", "shop"
	if installation == 8 {
		owner, repo = "globex", "web"
	}
	return f.app.Installation(installation).PullRequest(context.Background(), owner, repo, 1)
}

func (f *faulty) retries(reason string) float64 {
	return testutil.ToFloat64(f.metrics.GitHubRetries.WithLabelValues(reason))
}

func TestServerErrorsAreRetriedWithJitteredBackoff(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		failures int
		header   http.Header
		// requests GitHub sees; ok is whether the call succeeds.
		requests int
		ok       bool
		// maxWaits bounds each wait (full jitter below 500ms, then 1s,
		// 2s, 4s);
		// exactWaits, when set, are the waits GitHub asked for.
		maxWaits   []time.Duration
		exactWaits []time.Duration
	}{
		{name: "500 once", status: 500, failures: 1, requests: 2, ok: true, maxWaits: []time.Duration{500 * time.Millisecond}},
		{name: "502 every time", status: 502, failures: 10, requests: 5, maxWaits: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}},
		{name: "504 twice", status: 504, failures: 2, requests: 3, ok: true, maxWaits: []time.Duration{500 * time.Millisecond, time.Second}},
		{name: "503 with Retry-After", status: 503, failures: 1, header: http.Header{"Retry-After": {"3"}}, requests: 2, ok: true,
			exactWaits: []time.Duration{3 * time.Second}},
		{name: "503 asking for longer than the budget is not waited for", status: 503, failures: 1, header: http.Header{"Retry-After": {"600"}},
			requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFaulty(t, nil)
			f.warm(t)
			f.gh.Fail("GET", pullRoute, tt.failures, tt.status, tt.header, `{"message":"Server Error"}`)
			pr, err := f.get(7)
			if n := f.gh.Count("", ""); n != tt.requests {
				t.Errorf("GitHub saw %d requests, want %d", n, tt.requests)
			}
			waits := f.waits()
			if float64(len(waits)) != f.retries(metrics.RetryServerError) || len(waits) != tt.requests-1 {
				t.Errorf("waited %v and counted %v retries, want %d", waits, f.retries(metrics.RetryServerError), tt.requests-1)
			}
			for i, w := range waits {
				if tt.exactWaits != nil && w != tt.exactWaits[i] || tt.maxWaits != nil && (w < 0 || w > tt.maxWaits[i]) {
					t.Errorf("wait %d was %s (bounds %v, exact %v)", i, w, tt.maxWaits, tt.exactWaits)
				}
			}
			if tt.ok {
				if err != nil || pr.Number != 1 {
					t.Fatalf("want the pull request after the retries, got %v", err)
				}
				return
			}
			var ue *githubapp.UnavailableError
			if !errors.As(err, &ue) || ue.Status != tt.status || githubapp.StatusCode(err) != tt.status {
				t.Fatalf("want an UnavailableError with status %d, got %v", tt.status, err)
			}
			if want := strconv.Itoa(tt.status); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "githubstatus.com") {
				t.Errorf("error %q should name the status and where to look", err)
			}
			if tt.requests > 1 && !strings.Contains(err.Error(), "on each of 5 attempts") {
				t.Errorf("error %q should say how often GitHub was asked", err)
			}
		})
	}
}

// A check run created by a POST that GitHub answered 502 may exist anyway:
// sending it again could make a duplicate, so the error goes to the job,
// whose next attempt looks before it writes.
func TestCheckRunCreationIsNotRepeated(t *testing.T) {
	f := newFaulty(t, nil)
	f.warm(t)
	f.gh.Fail("POST", "/repos/{owner}/{repo}/check-runs", 1, http.StatusBadGateway, nil, `{"message":"Server Error"}`)
	_, err := f.app.Installation(7).CreateCheckRun(context.Background(), "acme", "shop", decision.CheckRunWrite{Name: "mergeguard", HeadSHA: fakegithub.FakeSHA("x")})
	var ue *githubapp.UnavailableError
	if !errors.As(err, &ue) || ue.Repeatable || ue.Attempts != 1 || !strings.Contains(err.Error(), "not sent again") {
		t.Fatalf("want an UnavailableError saying it was not repeated, got %v", err)
	}
	if n := f.gh.Count("POST", "/repos/{owner}/{repo}/check-runs"); n != 1 {
		t.Fatalf("the POST was sent %d times", n)
	}
}

// An update that carries no annotations sets the same state when sent
// twice, so it is retried; one with annotations would append them twice.
func TestCheckRunUpdatesAreRepeatedOnlyWithoutAnnotations(t *testing.T) {
	const route = "/repos/{owner}/{repo}/check-runs/{check_run_id}"
	f := newFaulty(t, nil)
	f.warm(t)
	pr, err := f.get(7)
	if err != nil {
		t.Fatal(err)
	}
	inst := f.app.Installation(7)
	id, err := inst.CreateCheckRun(context.Background(), "acme", "shop", decision.CheckRunWrite{Name: "mergeguard", HeadSHA: pr.Head.SHA})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name        string
		annotations []decision.Annotation
		sent        int
		ok          bool
	}{
		{"no annotations", nil, 2, true},
		{"annotations", []decision.Annotation{{Path: "a.go", StartLine: 1, EndLine: 1, Level: decision.LevelWarning, Message: "s"}}, 1, false},
	} {
		f.gh.ResetRequests()
		f.gh.Fail("PATCH", route, 1, http.StatusBadGateway, nil, `{"message":"Server Error"}`)
		err := inst.UpdateCheckRun(context.Background(), "acme", "shop", id, decision.CheckRunWrite{
			Name: "mergeguard", Title: "t", Summary: "s", Annotations: tt.annotations,
		})
		if (err == nil) != tt.ok || f.gh.Count("PATCH", route) != tt.sent {
			t.Errorf("%s: %v after %d PATCHes, want ok=%v after %d", tt.name, err, f.gh.Count("PATCH", route), tt.ok, tt.sent)
		}
		var ue *githubapp.UnavailableError
		if !tt.ok && (!errors.As(err, &ue) || !ue.OutcomeUnknown()) {
			t.Errorf("%s: %v, want an error saying GitHub may have applied it", tt.name, err)
		}
	}
}

// A token request is a POST that is safe to repeat.
func TestTokenCreationIsRetried(t *testing.T) {
	f := newFaulty(t, nil)
	f.gh.Fail("POST", "/app/installations/{installation_id}/access_tokens", 1, http.StatusServiceUnavailable, nil, `{"message":"unavailable"}`)
	if _, err := f.get(7); err != nil {
		t.Fatal(err)
	}
	if n := f.gh.Count("POST", "/app/installations/{installation_id}/access_tokens"); n != 2 {
		t.Fatalf("token requested %d times, want 2", n)
	}
}

func TestStalledRequestsTimeOutAndAreRetried(t *testing.T) {
	fast := func(c *githubapp.Config) { c.RequestTimeout = 150 * time.Millisecond }
	t.Run("once", func(t *testing.T) {
		f := newFaulty(t, fast)
		f.warm(t)
		f.gh.Stall("GET", pullRoute, 1)
		if _, err := f.get(7); err != nil {
			t.Fatalf("want the second attempt to succeed, got %v", err)
		}
		if n := f.gh.Count("GET", pullRoute); n != 2 || f.retries(metrics.RetryTimeout) != 1 {
			t.Fatalf("%d requests and %v timeout retries, want 2 and 1", n, f.retries(metrics.RetryTimeout))
		}
	})
	t.Run("every time", func(t *testing.T) {
		f := newFaulty(t, fast)
		f.warm(t)
		f.gh.Stall("GET", pullRoute, 10)
		_, err := f.get(7)
		var ue *githubapp.UnavailableError
		if !errors.As(err, &ue) || !ue.Timeout() || ue.Attempts != 5 || !strings.Contains(err.Error(), "no answer within 150ms") {
			t.Fatalf("want a timeout after 5 attempts, got %v", err)
		}
		if n := f.gh.Count("GET", pullRoute); n != 5 {
			t.Fatalf("%d requests, want 5", n)
		}
	})
	t.Run("the caller's deadline is not retried", func(t *testing.T) {
		f := newFaulty(t, func(c *githubapp.Config) { c.RequestTimeout = 10 * time.Second })
		f.warm(t)
		f.gh.Stall("GET", pullRoute, 10)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		_, err := f.app.Installation(7).PullRequest(ctx, "acme", "shop", 1)
		if !errors.Is(err, context.DeadlineExceeded) || f.gh.Count("GET", pullRoute) != 1 {
			t.Fatalf("want the caller's deadline after one request, got %v after %d", err, f.gh.Count("GET", pullRoute))
		}
	})
}

func TestRateLimitHoldsTheInstallationUntilItsTime(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		header    func(now time.Time) http.Header
		body      string
		wait      time.Duration
		secondary bool
	}{
		{"secondary limit with Retry-After", http.StatusForbidden,
			func(time.Time) http.Header { return http.Header{"Retry-After": {"90"}} },
			`{"message":"You have exceeded a secondary rate limit."}`, 90 * time.Second, true},
		{"429 without headers", http.StatusTooManyRequests,
			func(time.Time) http.Header { return nil }, `{"message":"Too many requests"}`, time.Minute, true},
		{"primary limit exhausted", http.StatusForbidden,
			func(now time.Time) http.Header {
				return http.Header{"X-RateLimit-Remaining": {"0"}, "X-RateLimit-Reset": {strconv.FormatInt(now.Add(17*time.Minute).Unix(), 10)}}
			}, `{"message":"API rate limit exceeded for installation ID 7."}`, 17 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFaulty(t, nil)
			f.warm(t)
			start := f.clock.Now()
			f.gh.Fail("GET", pullRoute, 1, tt.status, tt.header(start), tt.body)

			_, err := f.get(7)
			var rl *githubapp.RateLimitError
			if !errors.As(err, &rl) || rl.Held || rl.Secondary != tt.secondary || !rl.RetryAt().Equal(start.Add(tt.wait)) {
				t.Fatalf("first request: %v, want a %s rate limit until +%s", err, map[bool]string{true: "secondary", false: "primary"}[tt.secondary], tt.wait)
			}
			assertHeld(t, f, start.Add(tt.wait))
			if n := f.gh.Count("GET", pullRoute); n != 3 {
				t.Fatalf("GitHub saw %d requests, want 3 (refused, other installation, after the wait)", n)
			}
		})
	}
}

// assertHeld checks that installation 7 sends nothing until its time (a
// wait longer than the transport waits in place goes back to the caller),
// and that installation 8 is not affected. A second before the time, a
// request waits in place and is sent once the time has come.
func assertHeld(t *testing.T, f *faulty, until time.Time) {
	t.Helper()
	before := f.gh.Count("", "")
	_, err := f.app.Installation(7).PullRequestReviews(context.Background(), "acme", "shop", 1)
	var rl *githubapp.RateLimitError
	if !errors.As(err, &rl) || !rl.Held || !rl.RetryAt().Equal(until) || !strings.Contains(err.Error(), "request not sent") {
		t.Fatalf("a further request of the same installation: %v, want it held until %s", err, until)
	}
	if n := f.gh.Count("", ""); n != before {
		t.Fatalf("a held request reached GitHub (%d requests, was %d)", n, before)
	}
	if testutil.ToFloat64(f.metrics.GitHubRequestsHeld) < 1 {
		t.Error("held requests are not counted")
	}
	if _, err := f.get(8); err != nil {
		t.Fatalf("another installation must not be held: %v", err)
	}
	f.clock.Advance(until.Sub(f.clock.Now()) - time.Second)
	if _, err := f.get(7); err != nil {
		t.Fatalf("a second before its time: %v, want it to wait in place and succeed", err)
	}
	waits := f.waits()
	if len(waits) == 0 || waits[len(waits)-1] < time.Second || waits[len(waits)-1] > 1200*time.Millisecond {
		t.Fatalf("waited %v, want a last wait of a second and a little jitter", waits)
	}
	if got := testutil.ToFloat64(f.metrics.GitHubWaits.WithLabelValues(metrics.WaitRateLimit, metrics.WaitInPlace)); got != 1 {
		t.Errorf("%v waits in place counted, want 1", got)
	}
}

// GitHub answers the request that used the last of the hour's limit
// normally; the next one would be refused, so it is not sent.
func TestLastRequestOfTheHourHoldsTheInstallation(t *testing.T) {
	f := newFaulty(t, nil)
	f.warm(t)
	reset := f.clock.Now().Add(25 * time.Minute)
	f.gh.Fail("GET", pullRoute, 1, http.StatusOK, http.Header{
		"X-RateLimit-Remaining": {"0"}, "X-RateLimit-Reset": {strconv.FormatInt(reset.Unix(), 10)}, "X-RateLimit-Resource": {"core"},
	}, minimalPR)
	if pr, err := f.get(7); err != nil || pr.Number != 1 {
		t.Fatalf("the last request's answer must be used: %v", err)
	}
	assertHeld(t, f, reset)
	if waits := testutil.ToFloat64(f.metrics.GitHubRateLimitWaits.WithLabelValues("primary")); waits != 1 {
		t.Errorf("rate limit waits %v, want 1", waits)
	}
}

func TestConcurrentRequestsOfAnInstallationAreBounded(t *testing.T) {
	const limit = 2
	f := newFaulty(t, func(c *githubapp.Config) { c.MaxConcurrent = limit })
	f.warm(t)
	f.gh.ResetMaxInFlight()
	f.gh.Pause()
	errs := make(chan error, limit+2)
	for range limit + 2 {
		go func() { _, err := f.get(7); errs <- err }()
	}
	wait.Until(t, 5*time.Second, "requests to reach the fake", func() bool { return f.gh.InFlight() == limit })
	time.Sleep(150 * time.Millisecond) // room for a request that should not go out
	if n := f.gh.InFlight(); n != limit {
		t.Fatalf("%d requests in flight, want %d", n, limit)
	}
	// Another installation has its own slots.
	other := make(chan error, 1)
	go func() { _, err := f.get(8); other <- err }()
	wait.Until(t, 5*time.Second, "the other installation's request", func() bool { return f.gh.InFlight() == limit+1 })

	// A request waiting for a slot gives up with its caller.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := f.app.Installation(7).PullRequest(ctx, "acme", "shop", 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting for a slot past the deadline: %v", err)
	}

	f.gh.Resume()
	for range limit + 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	if n := f.gh.MaxInFlight(); n != limit+1 {
		t.Fatalf("at most %d requests were in flight, want %d (installation 7's %d and installation 8's one)", n, limit+1, limit)
	}
	if n := f.gh.Count("GET", pullRoute); n != limit+3 {
		t.Fatalf("GitHub saw %d requests, want %d", n, limit+3)
	}
}
