package queue_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/logbuf"
	"github.com/mergeguard/mergeguard/internal/testsupport/manualclock"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// fakeHooks is GitHub's webhook log: it serves attempts newest first, in
// pages, and records redelivery requests.
type fakeHooks struct {
	mu          sync.Mutex
	attempts    []queue.HookDelivery
	pageSize    int
	lists       int
	redelivered []int64
	// refuse answers a redelivery request with an error.
	refuse func(attemptID int64) error
}

func (f *fakeHooks) ListDeliveries(_ context.Context, since time.Time, maxPages int) ([]queue.HookDelivery, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	all := slices.Clone(f.attempts)
	slices.SortFunc(all, func(a, b queue.HookDelivery) int { return cmp.Compare(b.ID, a.ID) })
	size := cmp.Or(f.pageSize, 100)
	var out []queue.HookDelivery
	for page := 0; page*size < len(all); page++ {
		if page == maxPages {
			return out, false, nil
		}
		chunk := all[page*size : min((page+1)*size, len(all))]
		out = append(out, chunk...)
		if chunk[len(chunk)-1].DeliveredAt.Before(since) {
			break
		}
	}
	return out, true, nil
}

func (f *fakeHooks) Redeliver(_ context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse != nil {
		if err := f.refuse(id); err != nil {
			return err
		}
	}
	f.redelivered = append(f.redelivered, id)
	return nil
}

// add logs an attempt of guid, ago before now.
func (f *fakeHooks) add(now time.Time, id int64, guid string, ago time.Duration, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts = append(f.attempts, queue.HookDelivery{
		ID: id, GUID: guid, DeliveredAt: now.Add(-ago), StatusCode: status, Event: "pull_request", Action: "opened",
	})
}

func (f *fakeHooks) requests() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.redelivered)
}

func (f *fakeHooks) listings() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists
}

type redeliveryRig struct {
	q     *queue.Queue
	hooks *fakeHooks
	clock *manualclock.Clock
	m     *metrics.Metrics
	logs  *logbuf.Buffer
}

func newRedeliveryRig(t *testing.T, db *store.DB, hooks *fakeHooks, c *manualclock.Clock, cfg queue.RedeliveryConfig) *redeliveryRig {
	t.Helper()
	cfg.Deliveries = hooks
	logs := &logbuf.Buffer{}
	m := metrics.New()
	q := newQueueWith(t, db, newRecorder(), queue.Config{
		PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Metrics: m, Now: c.Now, Redelivery: cfg,
	})
	return &redeliveryRig{q: q, hooks: hooks, clock: c, m: m, logs: logs}
}

func (r *redeliveryRig) run(t *testing.T) queue.RedeliveryRun {
	t.Helper()
	run, err := r.q.RedeliverMissed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return run
}

var logStart = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

// receive records guid as mergeguard's handler would have: with its job
// (a pull request's delivery) or as a receipt.
func receiveDelivery(t *testing.T, db *store.DB, guid string, withJob bool) {
	t.Helper()
	ctx := context.Background()
	if !withJob {
		if err := store.RecordReceipt(ctx, db, store.Receipt{ID: guid, Event: "push", Outcome: "push", ReceivedAt: logStart}); err != nil {
			t.Fatal(err)
		}
		return
	}
	err := db.InTx(ctx, func(tx store.Tx) error {
		_, err := store.RecordDelivery(ctx, tx, store.Delivery{ID: guid, Event: "pull_request", Action: "opened", InstallationID: 5,
			PR: store.PRKey{RepoID: 77, Repo: "acme/shop", Number: 12}, ReceivedAt: logStart})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWhichDeliveriesAreRedelivered(t *testing.T) {
	type attempt struct {
		id     int64
		guid   string
		ago    time.Duration
		status int
	}
	tests := []struct {
		name     string
		attempts []attempt
		// received GUIDs: with their job (true) or as a receipt.
		received  map[string]bool
		cfg       queue.RedeliveryConfig
		pageSize  int
		requested []int64
		missed    int
		complete  bool
	}{
		{name: "succeeded", attempts: []attempt{{1, "a", time.Hour, 202}}, complete: true},
		{name: "failed, then redelivered by hand", attempts: []attempt{{1, "a", time.Hour, 503}, {2, "a", 50 * time.Minute, 200}}, complete: true},
		{name: "failed but received with its job", attempts: []attempt{{1, "a", time.Hour, 504}}, received: map[string]bool{"a": true}, complete: true},
		{name: "failed but received, needing no job", attempts: []attempt{{1, "a", time.Hour, 0}}, received: map[string]bool{"a": false}, complete: true},
		{name: "failed and never received", attempts: []attempt{{1, "a", time.Hour, 503}}, requested: []int64{1}, missed: 1, complete: true},
		{name: "failed twice: the latest attempt is redelivered", attempts: []attempt{{1, "a", time.Hour, 502}, {2, "a", 30 * time.Minute, 500}}, requested: []int64{2}, missed: 1, complete: true},
		{name: "within the grace period", attempts: []attempt{{1, "a", 30 * time.Second, 503}}, complete: true},
		{name: "a redelivery within the grace period", attempts: []attempt{{1, "a", time.Hour, 503}, {2, "a", 10 * time.Second, 503}}, complete: true},
		{name: "older than the lookback", attempts: []attempt{{1, "a", 72 * time.Hour, 503}, {2, "b", time.Hour, 200}}, complete: true},
		{
			name:     "at most MaxPerRun, oldest first",
			attempts: []attempt{{1, "d", 4 * time.Hour, 503}, {2, "c", 3 * time.Hour, 503}, {3, "b", 5 * time.Hour, 503}, {4, "a", 2 * time.Hour, 503}, {5, "d", time.Hour, 500}},
			cfg:      queue.RedeliveryConfig{MaxPerRun: 2}, requested: []int64{3, 5}, missed: 4, complete: true,
		},
		{
			name:     "the page bound stops the listing; what was read is still handled",
			attempts: []attempt{{1, "a", 5 * time.Hour, 503}, {2, "b", 4 * time.Hour, 503}, {3, "c", 3 * time.Hour, 503}, {4, "d", 2 * time.Hour, 503}, {5, "e", time.Hour, 200}},
			cfg:      queue.RedeliveryConfig{MaxPages: 2}, pageSize: 2, requested: []int64{2, 3, 4}, missed: 3,
		},
		{
			name:     "later pages are read back to the lookback",
			attempts: []attempt{{1, "a", 5 * time.Hour, 503}, {2, "b", 4 * time.Hour, 503}, {3, "c", 3 * time.Hour, 503}, {4, "d", 2 * time.Hour, 503}, {5, "e", time.Hour, 200}},
			pageSize: 2, requested: []int64{1, 2, 3, 4}, missed: 4, complete: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *store.DB) {
				hooks := &fakeHooks{pageSize: tt.pageSize}
				for _, a := range tt.attempts {
					hooks.add(logStart, a.id, a.guid, a.ago, a.status)
				}
				for guid, withJob := range tt.received {
					receiveDelivery(t, db, guid, withJob)
				}
				rig := newRedeliveryRig(t, db, hooks, manualclock.New(logStart), tt.cfg)
				run := rig.run(t)
				if got := hooks.requests(); !slices.Equal(got, tt.requested) {
					t.Errorf("redelivered attempts %v, want %v", got, tt.requested)
				}
				if run.Missed != tt.missed || run.Complete != tt.complete || len(run.Requested) != len(tt.requested) {
					t.Errorf("run %+v, want %d missed, complete %v", run, tt.missed, tt.complete)
				}
				if got := testutil.ToFloat64(rig.m.Redelivery.Requested); got != float64(len(tt.requested)) {
					t.Errorf("requested counter %v", got)
				}
				if got := testutil.ToFloat64(rig.m.Redelivery.Missed); got != float64(tt.missed) {
					t.Errorf("missed gauge %v", got)
				}
				if got := testutil.ToFloat64(rig.m.Redelivery.LastRun); got != float64(logStart.Unix()) {
					t.Errorf("last run gauge %v", got)
				}
			})
		})
	}
}

// A delivery that keeps failing is asked for once per window, a bounded
// number of times, then given up and logged; a restart (a new queue on the
// same database) does not start the count again.
func TestAFailingRedeliveryIsRetriedThenGivenUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		hooks := &fakeHooks{}
		c := manualclock.New(logStart)
		cfg := queue.RedeliveryConfig{Every: 10 * time.Minute, MaxRequests: 2}
		rig := newRedeliveryRig(t, db, hooks, c, cfg)
		hooks.add(c.Now(), 1, "a", time.Hour, 503)

		if run := rig.run(t); len(run.Requested) != 1 {
			t.Fatalf("first run %+v", run)
		}
		// GitHub's redelivery fails too; the next run within the window
		// waits for it.
		c.Advance(2 * time.Minute)
		hooks.add(c.Now(), 2, "a", time.Minute, 503)
		if run := rig.run(t); len(run.Requested) != 0 || run.Missed != 1 {
			t.Fatalf("run within the window %+v", run)
		}
		// After the window, from another process: asked again.
		c.Advance(10 * time.Minute)
		rig = newRedeliveryRig(t, db, hooks, c, cfg)
		if run := rig.run(t); len(run.Requested) != 1 {
			t.Fatalf("run after the window %+v", run)
		}
		if got := hooks.requests(); !slices.Equal(got, []int64{1, 2}) {
			t.Fatalf("redelivered %v", got)
		}
		c.Advance(time.Minute)
		hooks.add(c.Now(), 3, "a", 30*time.Second, 503)
		c.Advance(10 * time.Minute)
		run := rig.run(t)
		if len(run.Requested) != 0 || !slices.Equal(run.GaveUp, []string{"a"}) || run.Missed != 0 {
			t.Fatalf("run after the last request %+v", run)
		}
		if !rig.logs.Contains("gave up on a webhook delivery") || !rig.logs.Contains("delivery_id=a") {
			t.Fatalf("giving up is not logged with the delivery:\n%s", rig.logs)
		}
		if got := testutil.ToFloat64(rig.m.Redelivery.GaveUp); got != 1 {
			t.Fatalf("given-up counter %v", got)
		}
		// Given up stays given up, and is told once.
		c.Advance(time.Hour)
		if run := rig.run(t); len(run.Requested) != 0 || len(run.GaveUp) != 0 {
			t.Fatalf("run after giving up %+v", run)
		}
	})
}

// A delivery still in its grace period is redelivered by a later run, as
// soon as it is settled: not a whole period later.
func TestAGraceDeliveryIsRedeliveredLater(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		hooks := &fakeHooks{}
		c := manualclock.New(logStart)
		rig := newRedeliveryRig(t, db, hooks, c, queue.RedeliveryConfig{})
		hooks.add(c.Now(), 1, "a", 10*time.Second, 0)
		hooks.add(c.Now(), 2, "b", 40*time.Second, 503)
		run := rig.run(t)
		if len(run.Requested) != 0 || run.Unsettled != 2 {
			t.Fatalf("redelivered within the grace period: %+v", run)
		}
		// b settles first (its attempt is older): a minute after it, and a
		// second.
		if want := c.Now().Add(21 * time.Second); !run.NextPass.Equal(want) {
			t.Fatalf("next pass at %s, want %s", run.NextPass, want)
		}
		c.Advance(run.NextPass.Sub(c.Now()))
		run = rig.run(t)
		if !slices.Equal(run.Requested, []string{"b"}) || run.Unsettled != 1 || !run.NextPass.Equal(logStart.Add(51*time.Second)) {
			t.Fatalf("at the next pass: %+v", run)
		}
		c.Advance(run.NextPass.Sub(c.Now()))
		if run := rig.run(t); !slices.Equal(run.Requested, []string{"a"}) || run.Unsettled != 0 || !run.NextPass.IsZero() {
			t.Fatalf("after the grace period: %+v", run)
		}
	})
}

// A server restarts; a delivery GitHub failed to make just as it came back
// is too recent for the first run after start-up, which schedules the next
// look for when it is settled: it is asked for within two minutes of the
// restart, not a whole period (an hour here) later.
func TestAfterARestartMissedDeliveriesAreAskedForWithinTwoMinutes(t *testing.T) {
	t.Parallel() // mostly waiting for River's scheduler
	db := dbtest.Open(t, dbtest.SQLiteConfig(t))
	hooks := &fakeHooks{}
	c := manualclock.New(time.Now().Truncate(time.Second))
	started := c.Now()
	hooks.add(started, 1, "before", 5*time.Second, 0)
	q := newQueueWith(t, db, newRecorder(), queue.Config{
		PollInterval: 20 * time.Millisecond, Now: c.Now, StubRiverTime: true,
		Redelivery: queue.RedeliveryConfig{Deliveries: hooks, Every: time.Hour},
	})
	start(t, q)
	// A minute after the server became the queue's leader, the first run:
	// "before" is settled, "after" (failed as the server came back) is not.
	first := scheduledRedelivery(t, db)
	hooks.add(first.Add(-10*time.Second), 2, "after", 0, 502)
	c.Advance(first.Sub(c.Now()))
	wait.Until(t, 20*time.Second, "the first run", func() bool { return len(hooks.requests()) == 1 })
	next := scheduledRedelivery(t, db)
	if d := next.Sub(first); d > 55*time.Second {
		t.Fatalf("the next look is %s after the first run, want it once the delivery is settled", d)
	}
	c.Advance(next.Sub(c.Now()))
	wait.Until(t, 20*time.Second, "the follow-up run", func() bool { return len(hooks.requests()) == 2 })
	if got := hooks.requests(); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("redelivered %v", got)
	}
	if took := c.Now().Sub(started); took > 2*time.Minute {
		t.Fatalf("the last missed delivery was asked for %s after start-up", took)
	}
}

// scheduledRedelivery waits for a run of the redelivery job to be
// scheduled and returns its time.
func scheduledRedelivery(t *testing.T, db *store.DB) time.Time {
	t.Helper()
	var at time.Time
	wait.Until(t, 20*time.Second, "a scheduled run of the redelivery job", func() bool {
		err := db.InTx(context.Background(), func(tx store.Tx) error {
			var raw any
			err := tx.QueryRow(context.Background(), `SELECT scheduled_at FROM river_job WHERE kind = 'redeliver' AND state = 'scheduled' ORDER BY id DESC LIMIT 1`).Scan(&raw)
			at = dbTime(raw)
			return err
		})
		return err == nil
	})
	return at
}

// GitHub refusing one redelivery does not stop the others; a rate limit
// stops the run, and the request it cut off does not count.
func TestRefusedAndRateLimitedRedeliveries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		hooks := &fakeHooks{}
		c := manualclock.New(logStart)
		for i, guid := range []string{"a", "b", "c", "d"} {
			hooks.add(c.Now(), int64(i+1), guid, time.Duration(4-i)*time.Hour, 503)
		}
		hooks.refuse = func(id int64) error {
			switch id {
			case 1:
				return errors.New("422 Validation Failed")
			case 3:
				return rateLimited{c.Now().Add(time.Minute)}
			}
			return nil
		}
		rig := newRedeliveryRig(t, db, hooks, c, queue.RedeliveryConfig{MaxRequests: 1})
		run, err := rig.q.RedeliverMissed(context.Background())
		var rl rateLimited
		if !errors.As(err, &rl) {
			t.Fatalf("err %v, want the rate limit", err)
		}
		if !slices.Equal(run.Requested, []string{"b"}) || run.Errors != 1 {
			t.Fatalf("run %+v", run)
		}
		if got := testutil.ToFloat64(rig.m.Redelivery.Errors); got != 1 {
			t.Fatalf("errors counter %v", got)
		}
		recs, err := store.Redeliveries(context.Background(), db, []string{"a", "b", "c"})
		if err != nil {
			t.Fatal(err)
		}
		if recs["a"].Requests != 1 || recs["b"].Requests != 1 || recs["c"].Requests != 0 {
			t.Fatalf("records %+v: a refusal counts, a rate limit does not", recs)
		}
		// Once the limit passes, c is asked at once; a, refused with
		// MaxRequests 1, is given up after the window.
		hooks.refuse = nil
		c.Advance(time.Minute)
		if run := rig.run(t); !slices.Equal(run.Requested, []string{"c", "d"}) {
			t.Fatalf("run after the rate limit %+v", run)
		}
		c.Advance(10 * time.Minute)
		if run := rig.run(t); !slices.Equal(run.GaveUp, []string{"a", "b", "c", "d"}) {
			t.Fatalf("run after the window %+v", run)
		}
	})
}

// Two replicas running the job at the same moment ask for each delivery
// once between them.
func TestReplicasRunningAtOnceAskOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		hooks := &fakeHooks{}
		c := manualclock.New(logStart)
		for i := range 30 {
			hooks.add(c.Now(), int64(i+1), fmt.Sprintf("guid-%02d", i), time.Duration(i+2)*time.Minute, 503)
		}
		a := newRedeliveryRig(t, db, hooks, c, queue.RedeliveryConfig{MaxPerRun: 30})
		b := newRedeliveryRig(t, db, hooks, c, queue.RedeliveryConfig{MaxPerRun: 30})
		var wg sync.WaitGroup
		for _, r := range []*redeliveryRig{a, b} {
			wg.Go(func() {
				if _, err := r.q.RedeliverMissed(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got := hooks.requests()
		slices.Sort(got)
		if len(got) != 30 || len(slices.Compact(got)) != 30 {
			t.Fatalf("%d requests for 30 deliveries: %v", len(got), got)
		}
	})
}

// The job runs on its own, shortly after start-up, on one of two
// replicas.
func TestTheRedeliveryJobRunsPeriodicallyOnOneReplica(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		hooks := &fakeHooks{}
		hooks.add(time.Now(), 1, "a", time.Hour, 503)
		cfg := queue.RedeliveryConfig{Deliveries: hooks, Every: time.Hour, Grace: 100 * time.Millisecond}
		mk := func() *queue.Queue {
			return newQueueWith(t, db, newRecorder(), queue.Config{
				PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logbuf.Buffer{}, nil)), Redelivery: cfg,
			})
		}
		start(t, mk())
		start(t, mk())
		wait.Until(t, 15*time.Second, "the missed delivery redelivered", func() bool { return len(hooks.requests()) == 1 })
		time.Sleep(500 * time.Millisecond)
		if hooks.listings() != 1 || len(hooks.requests()) != 1 {
			t.Fatalf("%d listings and requests %v, want one run", hooks.listings(), hooks.requests())
		}
	})
}
