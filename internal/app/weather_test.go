package app_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/fleet"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// weatherRun is one fleet of pull requests opened at once against a fake
// GitHub in some weather, through the whole server.
type weatherRun struct {
	fleet *fleet.Fleet
	h     *harness
	took  time.Duration
}

// weather is what a fleet meets: n pull requests over installations
// installations, the fault model (fault-free when nil), and an API latency
// range (1 to 3 ms when zero).
type weather struct {
	n, installations int
	faults           *fakegithub.FaultModel
	latency          [2]time.Duration
}

// openFleet opens the pull requests and delivers their openings at once to
// a server with the default workers.
func openFleet(t testing.TB, w weather, opts app.Options) *weatherRun {
	t.Helper()
	gh := fakegithub.New(t)
	if w.latency == [2]time.Duration{} {
		w.latency = [2]time.Duration{time.Millisecond, 3 * time.Millisecond}
	}
	gh.SetLatencyRange(w.latency[0], w.latency[1])
	f := fleet.New(gh, w.n, w.installations)
	gh.SetFaults(w.faults)
	h := startOpts(t, gh, weatherSettings(t, gh), opts)
	h.ready(t)
	start := time.Now()
	var wg sync.WaitGroup
	for _, pr := range f.PRs {
		id, body := f.Opened(pr)
		wg.Go(func() {
			if code := sendWebhook(t, h.base, "pull_request", id, body); code != http.StatusAccepted {
				t.Errorf("delivery %s: status %d", id, code)
			}
		})
	}
	wg.Wait()
	return &weatherRun{fleet: f, h: h, took: time.Since(start)}
}

func weatherSettings(t testing.TB, gh *fakegithub.Server) settings.Settings {
	t.Helper()
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(gh.PrivateKeyPEM()))
	if err != nil {
		t.Fatal(err)
	}
	return settings.Settings{
		Addr: "127.0.0.1:0", AppID: gh.AppID(), PrivateKey: key, WebhookSecret: []byte(secret),
		GitHubAPIURL: gh.URL(), Database: dbtest.SQLiteConfig(t), CheckName: "mergeguard",
		Workers: 10, CoalesceQuiet: 150 * time.Millisecond, CoalesceMax: time.Second, ShutdownTimeout: 5 * time.Second,
		Policy: settings.Policy{Mode: decision.Enforce, PolicyRepo: ".github", PolicyDir: "mergeguard"},
	}
}

// converge waits until every pull request shows its verdict, failing at
// once on a duplicate check run, and then holds the end state for a moment
// (a late duplicate or overwrite would show).
func (w *weatherRun) converge(t testing.TB, timeout time.Duration) {
	t.Helper()
	start := time.Now()
	var pending []string
	wait.Until(t, timeout, "every pull request's verdict", func() bool {
		if d := w.fleet.Duplicates(); len(d) > 0 {
			t.Fatalf("duplicate check runs: %v", d)
		}
		pending = w.fleet.Pending()
		return len(pending) == 0
	})
	w.took += time.Since(start)
	time.Sleep(300 * time.Millisecond)
	if p := w.fleet.Pending(); len(p) > 0 {
		t.Fatalf("the end state did not hold: %v", p)
	}
	if n := w.fleet.GH.IgnoredLimits(); n != 0 {
		t.Errorf("%d requests were sent while a rate limit GitHub had announced was in force: %+v", n, w.fleet.GH.Limits())
	}
	if r := w.fleet.RereadFacts(); len(r) > 0 {
		t.Errorf("facts read twice in one evaluation: %v", r)
	}
}

// Sixty pull requests opened at once while a fifth of GitHub's answers are
// faults (server errors, HTML 502s, secondary and primary rate limits that
// hold the whole installation) and a tenth of writes are carried out and
// then answered 502: every pull request ends with exactly one completed
// check run with its verdict, no request goes out while a limit is in
// force, and the requests per pull request stay within 1.6 times the
// fault-free count (waits happen in place; nothing restarts from scratch).
//
// The pull requests are spread over ten installations: the fault model's
// limits hold an installation for one to three seconds each, and in one
// installation their sum, not the server, sets the pace (BENCHMARKS.md
// measures that case).
func TestSixtyPullRequestsConvergeThroughGitHubsFaults(t *testing.T) {
	t.Parallel() // mostly waiting: on rate limits, an outage, a quiet period
	const prs, installations = 60, 10
	calm := openFleet(t, weather{n: prs, installations: installations}, app.Options{})
	calm.converge(t, time.Minute)
	calmRequests, _ := calm.fleet.Requests()

	stormy := openFleet(t, weather{n: prs, installations: installations, faults: &fakegithub.FaultModel{Seed: 15, Rate: 0.2, GhostWrites: 0.1, Grace: limitGrace}}, app.Options{})
	stormy.converge(t, 3*time.Minute)
	stormyRequests, answered := stormy.fleet.Requests()
	faults := map[string]int{}
	for _, r := range stormy.fleet.GH.Requests() {
		if r.Fault != "" {
			faults[r.Fault]++
		}
	}
	t.Logf("fault-free: %d requests (%.1f per pull request) in %s; with faults: %d requests (%.1f per pull request, %d answered normally) in %s; faults %v",
		calmRequests, float64(calmRequests)/prs, calm.took.Round(time.Millisecond), stormyRequests, float64(stormyRequests)/prs, answered, stormy.took.Round(time.Millisecond), faults)
	if faults[fakegithub.FaultGhost] == 0 || faults[fakegithub.FaultSecondary] == 0 || faults[fakegithub.FaultPrimary] == 0 || faults[fakegithub.FaultEdgeHTML] == 0 {
		t.Fatalf("the weather did not bring every kind of fault: %v", faults)
	}
	if ratio := float64(stormyRequests) / float64(calmRequests); ratio > 1.6 {
		t.Errorf("%d requests with faults, %.2f times the %d without: want at most 1.6", stormyRequests, ratio, calmRequests)
	}
	_, metrics := stormy.h.get("/metrics")
	if !strings.Contains(metrics, `mergeguard_github_waits_total{kind="rate_limit",outcome="in_place"}`) {
		t.Error("no rate limit was waited out in place")
	}
	if strings.Contains(metrics, `mergeguard_evaluations_failed_total{`) {
		t.Error("an evaluation was given up")
	}
	t.Logf("logs:\n%s", grepLines(stormy.h.logs.String(), "must wait", "job failed", "GitHub is not answering"))
}

func grepLines(s string, subs ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, sub := range subs {
			if strings.Contains(l, sub) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// GitHub answers nothing for a while (every request 503 with its HTML
// page), then recovers. Meanwhile the jobs wait for it without spending
// their attempts (three here: spending them would end every pull request
// as "gave up"), and the server sends one probe every few seconds per
// installation instead of every job's requests; once GitHub answers again,
// every pull request converges.
func TestPullRequestsConvergeAfterAnOutage(t *testing.T) {
	t.Parallel() // mostly waiting: on rate limits, an outage, a quiet period
	const prs, installations = 20, 2
	gh := fakegithub.New(t)
	gh.SetLatencyRange(time.Millisecond, 3*time.Millisecond)
	f := fleet.New(gh, prs, installations)
	gh.SetOutage(true)
	h := startOpts(t, gh, weatherSettings(t, gh), app.Options{MaxAttempts: 3, OutagePoll: time.Second})
	for _, pr := range f.PRs {
		id, body := f.Opened(pr)
		if code := sendWebhook(t, h.base, "pull_request", id, body); code != http.StatusAccepted {
			t.Fatalf("delivery %s: status %d", id, code)
		}
	}
	metric := func(line string) bool {
		_, body := h.get("/metrics")
		return strings.Contains(body, line)
	}
	wait.Until(t, 30*time.Second, "the outage to be noticed", func() bool {
		return metric(`mergeguard_github_available{installation="100"} 0`) && metric(`mergeguard_github_available{installation="101"} 0`)
	})
	// The outage lasts; the jobs keep waiting, and GitHub sees only
	// probes.
	before := len(gh.Requests())
	const hold = 3 * time.Second
	time.Sleep(hold)
	during := len(gh.Requests()) - before
	if most := installations * (int(hold/(5*time.Second)) + 2); during > most {
		t.Errorf("%d requests during %s of outage, want at most %d (a probe every 5 seconds per installation)", during, hold, most)
	}
	if code, body := h.get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz answers %d during GitHub's outage, want 200 (deliveries are still accepted and kept): %s", code, body)
	}

	gh.SetOutage(false)
	recovered := time.Now()
	var pending []string
	wait.Until(t, time.Minute, "every pull request's verdict after the outage", func() bool {
		if d := f.Duplicates(); len(d) > 0 {
			t.Fatalf("duplicate check runs: %v", d)
		}
		pending = f.Pending()
		return len(pending) == 0
	})
	t.Logf("converged %s after GitHub recovered; %d requests during %s of outage", time.Since(recovered).Round(100*time.Millisecond), during, hold)
	if !metric(`mergeguard_github_available{installation="100"} 1`) || metric(`mergeguard_evaluations_failed_total{`) {
		t.Error("after the outage: GitHub should be marked available, and no evaluation given up")
	}
	if !metric(`mergeguard_jobs_deferred_total{reason="github_unavailable"}`) {
		t.Error("the jobs that waited for GitHub are not counted")
	}
	logs := h.logs.String()
	if n := strings.Count(logs, "GitHub is not answering this installation's requests"); n != installations {
		t.Errorf("the outage was logged %d times, want once per installation", n)
	}
	if n := strings.Count(logs, "GitHub answers this installation's requests again"); n != installations {
		t.Errorf("the recovery was logged %d times, want once per installation", n)
	}
}

// Twenty events on one pull request in quick succession, with the default
// coalescing window: the first is evaluated at once, the other nineteen
// together once the pull request is quiet. At most two evaluations (each
// reads the pull request once) and two check-run writes.
func TestABurstOfTwentyEventsCostsAtMostTwoEvaluations(t *testing.T) {
	gh := fakegithub.New(t)
	gh.SetLatencyRange(time.Millisecond, 3*time.Millisecond)
	pr := newPR(gh)
	s := defaultCoalescing(t, gh)
	// The default quiet period; a slow machine (the race detector) must not
	// stretch the burst past the bound on waiting for it, which would
	// rightly evaluate the burst's middle.
	s.CoalesceMax = 10 * time.Second
	h := startOpts(t, gh, s, app.Options{})
	h.ready(t)
	first, last := sendBurst(h, gh, pr, 0)
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
	time.Sleep(time.Second) // room for a third evaluation, if any
	evaluations, writes := burstCost(gh)
	if evaluations > 2 || writes > 2 {
		t.Fatalf("20 events in %s cost %d evaluations and %d check-run writes, want at most 2 of each", last.Sub(first), evaluations, writes)
	}
	if runs := gh.CheckRuns("acme/shop", pr.HeadSHA()); len(runs) != 1 || runs[0].Conclusion != "success" {
		t.Fatalf("check runs %+v", runs)
	}
}

// defaultCoalescing is weatherSettings with the default coalescing window
// (500ms quiet, 3s at most).
func defaultCoalescing(t testing.TB, gh *fakegithub.Server) settings.Settings {
	s := weatherSettings(t, gh)
	s.CoalesceQuiet, s.CoalesceMax = 500*time.Millisecond, 3*time.Second
	return s
}

// sendBurst sends twenty events on the pull request, spacing apart, the
// eleventh an approval, and returns when the first and the last were
// acknowledged.
func sendBurst(h *harness, gh *fakegithub.Server, pr *fakegithub.PR, spacing time.Duration) (first, last time.Time) {
	for i := range 20 {
		if i == 10 {
			review := pr.Review("alice", "APPROVED")
			h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &review))
		} else {
			h.deliver("pull_request", "", gh.Payload("pull_request", []string{"labeled", "unlabeled", "edited"}[i%3], pr, nil))
		}
		last = time.Now()
		if i == 0 {
			first = last
		}
		time.Sleep(spacing)
	}
	return first, last
}

// burstCost counts the evaluations (each reads the pull request once) and
// the check-run writes GitHub saw.
func burstCost(gh *fakegithub.Server) (evaluations, writes int) {
	return gh.Count("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"),
		gh.Count("POST", "/repos/{owner}/{repo}/check-runs") + gh.Count("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}")
}
