package main

import (
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/fleet"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// Sixty pull requests opened at once while a fifth of GitHub's answers are
// faults and a tenth of writes are carried out and then answered 502; the
// server process is killed (SIGKILL) once some of them show their verdict,
// with evaluations waiting out rate limits, retrying, and half-published,
// and a new process is started on the same database. Every pull request
// ends with exactly one completed check run with its verdict, and no
// request is sent while a limit GitHub announced is in force.
//
// The restart waits for the limits announced to the dead process to end: a
// new process cannot know of them (a real restart takes as long).
func TestKilledInBadWeatherEveryPullRequestConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	for name, backend := range dbtest.Backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // mostly waiting on the fault model's rate limits
			db := backend(t)
			url := db.URL
			if db.Driver == store.SQLite {
				url = "sqlite:" + db.Path
			}
			gh := fakegithub.New(t)
			gh.SetLatencyRange(time.Millisecond, 3*time.Millisecond)
			f := fleet.New(gh, 60, 10)
			gh.SetFaults(&fakegithub.FaultModel{Seed: 16, Rate: 0.2, GhostWrites: 0.1})
			env := []string{"MERGEGUARD_WORKERS=10", "MERGEGUARD_COALESCE_QUIET=150ms"}

			first := startServer(t, gh, url, env...)
			var wg sync.WaitGroup
			for _, pr := range f.PRs {
				id, body := f.Opened(pr)
				wg.Go(func() {
					if code, err := first.tryDeliver("pull_request", id, body); err != nil || code != http.StatusAccepted {
						t.Errorf("delivery %s: %d %v", id, code, err)
					}
				})
			}
			wg.Wait()
			wait.Until(t, time.Minute, "a quarter of the verdicts", func() bool { return len(f.Pending()) <= 45 })
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = first.cmd.Wait()
			t.Logf("killed with %d of 60 pull requests still without their verdict", len(f.Pending()))
			time.Sleep(3 * time.Second) // the longest limit of the fault model

			start := time.Now()
			startServer(t, gh, url, env...)
			wait.Until(t, 2*time.Minute, "every pull request's verdict after the restart", func() bool {
				if d := f.Duplicates(); len(d) > 0 {
					t.Fatalf("duplicate check runs: %v", d)
				}
				return len(f.Pending()) == 0
			})
			time.Sleep(300 * time.Millisecond)
			if p := f.Pending(); len(p) > 0 {
				t.Fatalf("the end state did not hold: %v", p)
			}
			if n := gh.IgnoredLimits(); n != 0 {
				t.Errorf("%d requests were sent while a rate limit GitHub had announced was in force: %+v", n, gh.Limits())
			}
			all, answered := f.Requests()
			t.Logf("converged %s after the restart; %d requests in all, %d answered normally", time.Since(start).Round(100*time.Millisecond), all, answered)
			// Without faults or the crash the fleet costs 6 requests per pull
			// request (pull request, files, reviews, commits, check-run
			// lookup and creation) and 3 per installation (token, policy
			// repository, configuration): 390. The faults and the work the
			// crash cut short may cost more, but not twice that.
			if calm := 60*6 + 10*3; all > 2*calm {
				t.Errorf("%d requests, more than twice the %d of calm weather", all, calm)
			}
		})
	}
}
