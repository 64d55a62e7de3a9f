package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

const filesOfPR = "/repos/{owner}/{repo}/pulls/{pull_number}/files"

// filesFetched counts the evaluations of one pull request: each fetches
// its changed files once.
func filesFetched(gh *fakegithub.Server, pr *fakegithub.PR) int {
	n := 0
	for _, r := range gh.Requests() {
		if r.Route == filesOfPR && strings.HasSuffix(r.Path, fmt.Sprintf("/pulls/%d/files", pr.Number)) {
			n++
		}
	}
	return n
}

// waitNoPendingEvaluations waits until no pull request of the database has
// an evaluation queued or running (pr_queue.job_id is set while one is).
func waitNoPendingEvaluations(t *testing.T, cfg settings.Database) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	wait.Until(t, 30*time.Second, "no evaluation pending", func() bool {
		var n int
		err := db.InTx(ctx, func(tx store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM pr_queue WHERE job_id IS NOT NULL`).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}

// Two servers on one PostgreSQL database, as two replicas behind a load
// balancer: deliveries and their redeliveries land on either, and the
// pull requests, their check runs and the freeze flips are each handled
// once.
func TestTwoReplicasOnPostgreSQLShareTheWorkAndDoNothingTwice(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": weekendPolicy})
	db := dbtest.PostgresConfig(t)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	clk := newClock(time.Date(2026, 11, 27, 14, 55, 0, 0, berlin)) // Friday, before the weekend freeze
	replicas := []*harness{start(t, gh, config{db: db, now: clk.now}), start(t, gh, config{db: db, now: clk.now})}

	// A burst: every delivery reaches one replica and, at the same moment,
	// a redelivery of it (same delivery ID) reaches the other.
	const count = 8
	prs := make([]*fakegithub.PR, count)
	type sent struct{ fresh, duplicate int }
	var mu sync.Mutex
	codes := map[string]*sent{}
	var wg sync.WaitGroup
	for i := range prs {
		pr, review := approvedPR(gh, shop)
		prs[i] = pr
		for j, d := range []struct{ event, action string }{{"pull_request", "opened"}, {"pull_request_review", "submitted"}} {
			var body []byte
			if d.event == "pull_request_review" {
				body = gh.Payload(d.event, d.action, pr, &review)
			} else {
				body = gh.Payload(d.event, d.action, pr, nil)
			}
			id := fmt.Sprintf("replicas-%d-%d", i, j)
			codes[id] = &sent{}
			for _, h := range replicas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					code := sendWebhook(t, h.base, d.event, id, body)
					mu.Lock()
					defer mu.Unlock()
					switch code {
					case http.StatusAccepted:
						codes[id].fresh++
					case http.StatusOK:
						codes[id].duplicate++
					default:
						t.Errorf("delivery %s: status %d", id, code)
					}
				}()
			}
		}
	}
	wg.Wait()
	for id, c := range codes {
		if c.fresh != 1 || c.duplicate != 1 {
			t.Errorf("delivery %s: accepted %d times and acknowledged as a duplicate %d times; want once each", id, c.fresh, c.duplicate)
		}
	}
	for _, pr := range prs {
		waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
	}
	if n := gh.Count("POST", "/repos/{owner}/{repo}/check-runs"); n != count {
		t.Errorf("%d check runs created for %d pull requests", n, count)
	}
	for _, pr := range prs {
		// Opened and approved arrive in one burst: one evaluation, or two
		// when the approval lands while the first is running. More would
		// mean a replica evaluated a delivery the other had already taken.
		if n := filesFetched(gh, pr); n < 1 || n > 2 {
			t.Errorf("#%d was evaluated %d times for 2 deliveries", pr.Number, n)
		}
	}
	worked := 0
	for _, h := range replicas {
		if strings.Contains(h.logs.String(), "pull request evaluated") {
			worked++
		}
	}
	t.Logf("%d of 2 replicas evaluated pull requests", worked)

	// A review that landed while its pull request's first evaluation ran
	// is evaluated once more after the quiet period; let that finish before
	// counting what the flip costs.
	waitNoPendingEvaluations(t, db)

	// Friday 15:00: the freeze starts with no event. Both replicas scheduled
	// the flip; it happens once, and every check run turns red once.
	gh.ResetRequests()
	clk.jump(time.Date(2026, 11, 27, 15, 0, 5, 0, berlin))
	for _, pr := range prs {
		runs := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
		if runs[0].Writes != 2 {
			t.Errorf("#%d: check run written %d times, want 2 (created, frozen)", pr.Number, runs[0].Writes)
		}
	}
	time.Sleep(time.Second) // room for a second flip, which must not come
	if n := gh.Count("GET", "/repos/{owner}/{repo}/pulls"); n != 1 {
		t.Errorf("the open pull requests were listed %d times for one freeze flip; want once", n)
	}
	for _, pr := range prs {
		if n := filesFetched(gh, pr); n != 1 {
			t.Errorf("#%d was evaluated %d times for one freeze flip; want once", pr.Number, n)
		}
	}
}

// While one replica is evaluating a pull request, events for it that reach
// the other replica join the running job instead of starting a second,
// concurrent evaluation; the job evaluates once more to see them.
func TestAPullRequestIsEvaluatedByOneReplicaAtATime(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules: {}\n"})
	db := dbtest.PostgresConfig(t)
	first := start(t, gh, config{db: db})
	second := start(t, gh, config{db: db})
	pr, review := approvedPR(gh, shop)
	waitReady(t, first, second)

	// GitHub stops answering: the replica that takes the job hangs in it.
	gh.Pause()
	if code := first.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil)); code != http.StatusAccepted {
		t.Fatalf("status %d", code)
	}
	wait.Until(t, 10*time.Second, "an evaluation to wait on GitHub", func() bool { return gh.InFlight() > 0 })
	time.Sleep(300 * time.Millisecond) // let the evaluation issue whatever it issues at once
	busy := gh.InFlight()
	for i := 0; i < 3; i++ {
		if code := second.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &review)); code != http.StatusAccepted {
			t.Fatalf("status %d", code)
		}
	}
	time.Sleep(time.Second) // the other replica would have started by now
	if n := gh.InFlight(); n != busy {
		t.Fatalf("%d requests waiting on GitHub after events reached the other replica, %d before: a second evaluation of the pull request started", n, busy)
	}
	gh.Resume()
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
	time.Sleep(time.Second)
	if n := filesFetched(gh, pr); n != 2 {
		t.Errorf("#%d evaluated %d times; want 2 (the event that started it, then once for the three that arrived meanwhile)", pr.Number, n)
	}
}

// waitReady waits until the servers answer /readyz, so a paused GitHub
// cannot be mistaken for a server still starting.
func waitReady(t *testing.T, hs ...*harness) {
	t.Helper()
	for _, h := range hs {
		wait.Until(t, 15*time.Second, "the server to be ready", func() bool {
			resp, err := http.Get(h.base + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
	}
}
