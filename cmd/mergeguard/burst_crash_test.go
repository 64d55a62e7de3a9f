package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// tryDeliver sends a signed webhook with a fixed delivery ID; unlike
// deliver it reports a server that is gone instead of failing the test.
func (p *process) tryDeliver(event, id string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+p.addr+"/webhook", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", fakegithub.Sign("crash-test-secret", body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

type burstDelivery struct {
	event, id string
	body      []byte
}

// The server process is killed with SIGKILL in the middle of a burst of
// webhook deliveries, with evaluations queued, running and half-published.
// It is restarted on the same database and is sent the deliveries the dead
// process never acknowledged (as GitHub's redelivery would). Every pull
// request ends with exactly one completed check run showing its verdict.
func TestKilledMidBurstEveryPullRequestEndsWithOneCompletedCheckRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	for name, backend := range dbtest.Backends(t) {
		t.Run(name, func(t *testing.T) {
			db := backend(t)
			url, recovered := db.URL, "took over a job from a replica that stopped while running it"
			if db.Driver == store.SQLite {
				url, recovered = "sqlite:"+db.Path, "resumed evaluations interrupted when the previous server process stopped"
			}
			killMidBurst(t, url, false, recovered)
		})
	}
}

// With two replicas on PostgreSQL, the one left standing takes over the
// work of the one killed (its queued jobs at once, its running ones after
// the grace period), with no restart.
func TestAReplicaKilledMidBurstIsTakenOverByTheOther(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	killMidBurst(t, dbtest.PostgresConfig(t).URL, true, "took over a job from a replica that stopped while running it")
}

// killMidBurst sends a burst to one server process and kills it while it is
// evaluating. The rest of the burst goes to a second process: started
// after the kill, or (standby) already running beside the first when it is
// killed. That process must log recovered.
func killMidBurst(t *testing.T, databaseURL string, standby bool, recovered string) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(5, "acme", "shop")
	// A slow GitHub keeps evaluations in flight when the kill comes.
	gh.SetLatency(15 * time.Millisecond)

	const count = 24
	prs := make([]*fakegithub.PR, count)
	want := map[int]string{}
	var burst []burstDelivery
	for i := range prs {
		pr := repo.OpenPR(fakegithub.PRSpec{Title: fmt.Sprintf("Change %d", i), Author: "dev",
			Files: []fakegithub.File{{Path: fmt.Sprintf("pkg%d/a.go", i), Patch: "@@ -1 +1 @@\n-a\n+b\n"}}})
		prs[i] = pr
		burst = append(burst, burstDelivery{"pull_request", fmt.Sprintf("burst-%d-opened", i), gh.Payload("pull_request", "opened", pr, nil)})
		want[pr.Number] = "failure" // no approving review
		if i%2 == 0 {
			review := pr.Review("alice", "APPROVED")
			burst = append(burst, burstDelivery{"pull_request_review", fmt.Sprintf("burst-%d-review", i), gh.Payload("pull_request_review", "submitted", pr, &review)})
			want[pr.Number] = "success"
		}
	}

	// One evaluation hangs on GitHub: it is certainly running when the kill
	// comes.
	gh.Stall("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", 1)
	first := startServer(t, gh, databaseURL)
	acknowledged := map[string]bool{}
	for _, d := range burst[:len(burst)*2/3] {
		code, err := first.tryDeliver(d.event, d.id, d.body)
		if err != nil || code != http.StatusAccepted {
			t.Fatalf("delivery %s before the kill: %d %v", d.id, code, err)
		}
		acknowledged[d.id] = true
	}
	// Kill once some verdicts are out and an evaluation is waiting on
	// GitHub: a job is running, and others are queued.
	wait.Until(t, 20*time.Second, "the first check runs, with evaluations under way", func() bool {
		return gh.Count("POST", "/repos/{owner}/{repo}/check-runs") >= 2 && gh.InFlight() > 0
	})
	var second *process
	if standby {
		second = startServer(t, gh, databaseURL)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	done := 0
	for _, pr := range prs {
		if runs := gh.CheckRuns("acme/shop", pr.HeadSHA()); len(runs) == 1 && runs[0].Conclusion == want[pr.Number] {
			done++
		}
	}
	t.Logf("killed after %d of %d deliveries, with %d of %d pull requests showing their verdict", len(acknowledged), len(burst), done, count)

	if !standby {
		second = startServer(t, gh, databaseURL)
	}
	for _, d := range burst {
		if acknowledged[d.id] {
			continue
		}
		if code, err := second.tryDeliver(d.event, d.id, d.body); err != nil || code != http.StatusAccepted {
			t.Fatalf("delivery %s after the restart: %d %v", d.id, code, err)
		}
	}
	wait.Until(t, 60*time.Second, "every pull request's verdict", func() bool {
		for _, pr := range prs {
			runs := gh.CheckRuns("acme/shop", pr.HeadSHA())
			if len(runs) > 1 {
				t.Fatalf("#%d has %d check runs: %+v", pr.Number, len(runs), runs)
			}
			if len(runs) == 0 || runs[0].Status != "completed" || runs[0].Conclusion != want[pr.Number] {
				return false
			}
		}
		return true
	})
	time.Sleep(500 * time.Millisecond) // a late duplicate would show now
	for _, pr := range prs {
		if runs := gh.CheckRuns("acme/shop", pr.HeadSHA()); len(runs) != 1 {
			t.Errorf("#%d has %d check runs", pr.Number, len(runs))
		}
	}
	if n := gh.Count("POST", "/repos/{owner}/{repo}/check-runs"); n != count {
		t.Errorf("%d check runs created for %d pull requests", n, count)
	}
	if !strings.Contains(second.stderr.String(), recovered) {
		t.Errorf("the surviving server did not log %q: the kill interrupted no job, or it was not recovered", recovered)
	}
}
