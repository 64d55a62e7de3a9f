package app_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// The benchmarks below measure what the weather costs, through the whole
// server on SQLite against the fake GitHub; BENCHMARKS.md has the numbers
// and the command.

// BenchmarkWeatherFleet opens 60 pull requests at once in one installation,
// with an API latency of 20 to 40 ms, at 0 %, 10 % and 20 % faults (the
// last with 10 % ghost writes), and reports the time until every one shows
// its verdict and the requests per pull request.
func BenchmarkWeatherFleet(b *testing.B) {
	for _, c := range []struct {
		name         string
		rate, ghosts float64
	}{{"faults=0", 0, 0}, {"faults=10pct", 0.1, 0}, {"faults=20pct+ghosts=10pct", 0.2, 0.1}} {
		b.Run(c.name, func(b *testing.B) {
			var took time.Duration
			var requests, limits int
			for i := range b.N {
				w := weather{n: 60, installations: 1, latency: [2]time.Duration{20 * time.Millisecond, 40 * time.Millisecond}}
				if c.rate > 0 {
					w.faults = &fakegithub.FaultModel{Seed: int64(i + 1), Rate: c.rate, GhostWrites: c.ghosts}
				}
				run := openFleet(b, w, app.Options{})
				run.converge(b, 10*time.Minute)
				all, _ := run.fleet.Requests()
				took, requests = took+run.took, requests+all
				limits += run.fleet.GH.Limits()[100].Announced
				if err := run.h.stop(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(took.Seconds()/float64(b.N), "s-to-converge")
			b.ReportMetric(float64(requests)/float64(b.N)/60, "requests/PR")
			b.ReportMetric(float64(limits)/float64(b.N), "limits-announced")
		})
	}
}

// BenchmarkWeatherLoneEvent is the latency of one pull_request.opened on an
// idle server, to its completed check run, in round trips of a fixed 50 ms
// API latency, with the default coalescing window and polling (SQLite polls
// for new jobs every 50 ms; PostgreSQL is notified): the first
// (installation token and policy not yet cached) and the median of the
// twenty after it, one at a time.
func BenchmarkWeatherLoneEvent(b *testing.B) {
	const rt = 50 * time.Millisecond
	for name, db := range dbtest.Backends(b) {
		b.Run(name, func(b *testing.B) {
			gh := fakegithub.New(b)
			gh.SetLatency(rt)
			repo := gh.AddRepo(77, "acme", "shop")
			s := defaultCoalescing(b, gh)
			s.Database = db(b)
			h := startOpts(b, gh, s, app.Options{PollInterval: 50 * time.Millisecond})
			h.ready(b)
			var took []time.Duration
			for i := range 20*b.N + 1 {
				pr := repo.OpenPR(fakegithub.PRSpec{Title: fmt.Sprint("change ", i), Author: "dev",
					Files: []fakegithub.File{{Path: "a.go", Patch: "@@ -1 +1 @@\n-a\n+b\n"}}})
				start := time.Now()
				h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
				for runs := gh.CheckRuns("acme/shop", pr.HeadSHA()); len(runs) == 0 || runs[0].Status != "completed"; runs = gh.CheckRuns("acme/shop", pr.HeadSHA()) {
					time.Sleep(time.Millisecond)
				}
				took = append(took, time.Since(start))
			}
			first, rest := took[0], slices.Sorted(slices.Values(took[1:]))
			median := rest[len(rest)/2]
			b.ReportMetric(float64(first)/float64(rt), "round-trips-first")
			b.ReportMetric(float64(median)/float64(rt), "round-trips-p50")
			b.ReportMetric(float64(median.Milliseconds()), "ms-p50")
		})
	}
}

// BenchmarkWeatherBurst sends 20 events on one pull request within a
// second (an approval among them), API latency 20 to 40 ms, default
// coalescing window, three times per op, and reports what a burst costs:
// evaluations, check-run writes, and the time from its last event to the
// final verdict.
func BenchmarkWeatherBurst(b *testing.B) {
	var evaluations, writes int
	var after time.Duration
	bursts := 3 * b.N
	for range bursts {
		gh := fakegithub.New(b)
		gh.SetLatencyRange(20*time.Millisecond, 40*time.Millisecond)
		pr := newPR(gh)
		h := startOpts(b, gh, defaultCoalescing(b, gh), app.Options{PollInterval: 50 * time.Millisecond})
		h.ready(b)
		_, last := sendBurst(h, gh, pr, 50*time.Millisecond)
		for runs := gh.CheckRuns("acme/shop", pr.HeadSHA()); len(runs) == 0 || runs[0].Conclusion != "success"; runs = gh.CheckRuns("acme/shop", pr.HeadSHA()) {
			time.Sleep(time.Millisecond)
		}
		after += time.Since(last)
		time.Sleep(time.Second)
		e, w := burstCost(gh)
		evaluations, writes = evaluations+e, writes+w
		if err := h.stop(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(evaluations)/float64(bursts), "evaluations")
	b.ReportMetric(float64(writes)/float64(bursts), "check-run-writes")
	b.ReportMetric(float64(after.Milliseconds())/float64(bursts), "ms-last-event-to-verdict")
}

// ready waits until the server answers /readyz.
func (h *harness) ready(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(h.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server is not ready after 20s (%v); its log:\n%s", err, h.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
