package queue_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/logbuf"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// recorder is an Evaluator that records requests and can be told how to
// answer each call.
type recorder struct {
	mu     sync.Mutex
	calls  []queue.Request
	answer func(n int, req queue.Request) error
	called chan queue.Request
}

// acmeShop12 is the pull request most tests deliver events for.
var acmeShop12 = decision.PullRequest{Installation: 5, Repo: decision.Repo{Owner: "acme", Name: "shop"}, Number: 12}

func newRecorder() *recorder { return &recorder{called: make(chan queue.Request, 100)} }

func (r *recorder) EvaluatePR(ctx context.Context, req queue.Request) error {
	r.mu.Lock()
	r.calls = append(r.calls, req)
	n := len(r.calls)
	answer := r.answer
	r.mu.Unlock()
	defer func() { r.called <- req }() // also when answer panics
	if answer != nil {
		return answer(n, req)
	}
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (r *recorder) wait(t *testing.T, timeout time.Duration) queue.Request {
	t.Helper()
	select {
	case req := <-r.called:
		return req
	case <-time.After(timeout):
		t.Fatalf("no evaluation within %s (%d so far)", timeout, r.count())
	}
	return queue.Request{}
}

// settle asserts that no further evaluation happens for a while.
func (r *recorder) settle(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case req := <-r.called:
		t.Fatalf("unexpected extra evaluation %+v", req)
	case <-time.After(d):
	}
}

func newQueue(t *testing.T, db *store.DB, ev queue.Evaluator, log *slog.Logger) *queue.Queue {
	t.Helper()
	return newQueueQuiet(t, db, ev, log, 200*time.Millisecond)
}

func newQueueQuiet(t *testing.T, db *store.DB, ev queue.Evaluator, log *slog.Logger, quiet time.Duration) *queue.Queue {
	t.Helper()
	return newQueueWith(t, db, ev, queue.Config{
		Workers: 4, CoalesceQuiet: quiet, CoalesceMax: 10 * quiet,
		PollInterval: 20 * time.Millisecond, Logger: log,
	})
}

func newQueueWith(t *testing.T, db *store.DB, ev queue.Evaluator, cfg queue.Config) *queue.Queue {
	t.Helper()
	q, err := queue.New(db, ev, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func start(t *testing.T, q *queue.Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
}

var seq int

func delivery(action string) store.Delivery {
	seq++
	return store.Delivery{
		ID: fmt.Sprintf("delivery-%d", seq), Event: "pull_request", Action: action, InstallationID: 5,
		PR: store.PRKey{RepoID: 77, Repo: "acme/shop", Number: 12}, ReceivedAt: time.Now(),
	}
}

func accept(t *testing.T, q *queue.Queue, d store.Delivery) queue.Outcome {
	t.Helper()
	out, err := q.Accept(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOneEventOneEvaluation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder()
		q := newQueue(t, db, rec, nil)
		start(t, q)
		d := delivery("opened")
		if out := accept(t, q, d); out != queue.Queued {
			t.Fatalf("outcome %s", out)
		}
		got := rec.wait(t, 10*time.Second)
		want := queue.Request{PR: acmeShop12, RepoID: 77, Event: "pull_request", Action: "opened", DeliveryID: d.ID}
		if got != want {
			t.Fatalf("request %+v, want %+v", got, want)
		}
		if out := accept(t, q, d); out != queue.Duplicate {
			t.Fatalf("redelivery outcome %s, want duplicate", out)
		}
		rec.settle(t, 500*time.Millisecond)
	})
}

// A burst costs at most two evaluations: its first event at once (the
// pull request was quiet), the rest together once the burst has ended,
// seeing the latest event.
func TestBurstIsCoalescedIntoAtMostTwoEvaluationsTheLastOfTheLatestEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder()
		// A wide window, so a loaded machine cannot split the burst.
		q := newQueueQuiet(t, db, rec, nil, time.Second)
		start(t, q)
		var last store.Delivery
		outcomes := map[queue.Outcome]int{}
		for _, action := range []string{"synchronize", "labeled", "synchronize", "edited", "labeled"} {
			last = delivery(action)
			outcomes[accept(t, q, last)]++
		}
		// The first event is queued. On a slow machine its evaluation can
		// finish inside the burst, and then the next event queues the one
		// trailing evaluation; every other event is coalesced.
		if q1 := outcomes[queue.Queued]; q1 < 1 || q1 > 2 || q1+outcomes[queue.Coalesced] != 5 {
			t.Fatalf("outcomes %v, want 1 or 2 queued and the rest coalesced", outcomes)
		}
		got := rec.wait(t, 10*time.Second)
		if got.DeliveryID != last.ID {
			got = rec.wait(t, 10*time.Second)
		}
		if got.DeliveryID != last.ID || got.Action != "labeled" {
			t.Fatalf("evaluated %+v, want the latest event %s", got, last.ID)
		}
		rec.settle(t, 1200*time.Millisecond)
	})
}

// The first event of a quiet pull request does not wait for the quiet
// period; an event right after it does, and is evaluated once.
func TestTheFirstEventOfAQuietPullRequestIsEvaluatedAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder()
		q := newQueueQuiet(t, db, rec, nil, 2*time.Second)
		start(t, q)
		first := delivery("opened")
		accept(t, q, first)
		if got := rec.wait(t, 10*time.Second); got.DeliveryID != first.ID {
			t.Fatalf("evaluated %+v, want %s at once", got, first.ID)
		}
		wait.Until(t, 5*time.Second, "the job to finish", func() bool {
			var st store.PRState
			err := db.InTx(context.Background(), func(tx store.Tx) error {
				var err error
				st, err = store.GetPRState(context.Background(), tx, 77, 12)
				return err
			})
			return err == nil && st.JobID == nil
		})
		// The next event comes within the quiet period: it waits for it
		// (2 seconds here), then is evaluated.
		next := delivery("labeled")
		if out := accept(t, q, next); out != queue.Queued {
			t.Fatalf("outcome %s", out)
		}
		rec.settle(t, time.Second)
		if got := rec.wait(t, 10*time.Second); got.DeliveryID != next.ID {
			t.Fatalf("evaluated %+v, want %s after the quiet period", got, next.ID)
		}
	})
}

func TestEventDuringEvaluationCausesOneMoreEvaluation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder()
		release := make(chan struct{})
		rec.answer = func(n int, _ queue.Request) error {
			if n == 1 {
				<-release
			}
			return nil
		}
		q := newQueue(t, db, rec, nil)
		start(t, q)
		accept(t, q, delivery("opened"))
		// Wait until the first evaluation is running, then send an event.
		wait.Until(t, 10*time.Second, "the first evaluation to start", func() bool { return rec.count() > 0 })
		late := delivery("synchronize")
		if out := accept(t, q, late); out != queue.Coalesced {
			t.Fatalf("an event during evaluation joins the running job, got %s", out)
		}
		close(release)
		rec.wait(t, 5*time.Second)
		second := rec.wait(t, 10*time.Second)
		if second.DeliveryID != late.ID {
			t.Fatalf("second evaluation saw %s, want %s", second.DeliveryID, late.ID)
		}
		rec.settle(t, 500*time.Millisecond)
	})
}

type rateLimited struct{ at time.Time }

func (e rateLimited) Error() string      { return "rate limited" }
func (e rateLimited) RetryAt() time.Time { return e.at }

type permanent struct{}

func (permanent) Error() string   { return "pull request not found" }
func (permanent) Permanent() bool { return true }

func jobRow(t *testing.T, db *store.DB) (state string, scheduledAt time.Time, attempt int) {
	t.Helper()
	ctx := context.Background()
	var raw any
	err := db.InTx(ctx, func(tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT state, scheduled_at, attempt FROM river_job WHERE kind = 'evaluate_pr' ORDER BY id DESC LIMIT 1`).Scan(&state, &raw, &attempt)
	})
	if err != nil {
		t.Fatal(err)
	}
	return state, dbTime(raw), attempt
}

// dbTime reads a River timestamp: a time on PostgreSQL, text on SQLite.
func dbTime(raw any) time.Time {
	switch v := raw.(type) {
	case time.Time:
		return v
	case string:
		at, err := time.Parse("2006-01-02 15:04:05.999999999", v)
		if err != nil {
			at, _ = time.Parse(time.RFC3339Nano, v)
		}
		return at
	}
	return time.Time{}
}

func TestRateLimitReschedulesForTheTimeGitHubNames(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder()
		retryAt := time.Now().Add(time.Hour)
		rec.answer = func(int, queue.Request) error { return fmt.Errorf("list files: %w", rateLimited{retryAt}) }
		q := newQueue(t, db, rec, nil)
		start(t, q)
		accept(t, q, delivery("opened"))
		rec.wait(t, 10*time.Second)
		var at time.Time
		wait.Until(t, 5*time.Second, "the job to be scheduled", func() bool {
			var state string
			state, at, _ = jobRow(t, db)
			return state == "scheduled"
		})
		if d := at.Sub(retryAt); d < -5*time.Second || d > 5*time.Second {
			t.Fatalf("job scheduled at %s, want about %s", at, retryAt)
		}
		// Events meanwhile join the waiting job instead of creating new ones.
		if out := accept(t, q, delivery("labeled")); out != queue.Coalesced {
			t.Fatalf("outcome %s, want coalesced", out)
		}
	})
}

func TestPermanentErrorEndsTheJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder()
		rec.answer = func(int, queue.Request) error { return permanent{} }
		q := newQueue(t, db, rec, nil)
		start(t, q)
		accept(t, q, delivery("opened"))
		rec.wait(t, 10*time.Second)
		wait.Until(t, 5*time.Second, "the job to be cancelled", func() bool {
			state, _, _ := jobRow(t, db)
			return state == "cancelled"
		})
		// A later event starts a new job rather than waiting on the dead one.
		if out := accept(t, q, delivery("synchronize")); out != queue.Queued {
			t.Fatalf("outcome %s, want a new job", out)
		}
	})
}

func TestPanicIsRecoveredLoggedWithDeliveryAndRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder()
		rec.answer = func(n int, _ queue.Request) error {
			if n == 1 {
				panic("nil map in a rule helper")
			}
			return nil
		}
		var logs logbuf.Buffer
		q := newQueue(t, db, rec, slog.New(slog.NewTextHandler(&logs, nil)))
		start(t, q)
		d := delivery("opened")
		accept(t, q, d)
		rec.wait(t, 10*time.Second)
		rec.wait(t, 30*time.Second) // River retries after its backoff
		out := logs.String()
		if !strings.Contains(out, "panicked") || !strings.Contains(out, "delivery_id="+d.ID) || !strings.Contains(out, "nil map in a rule helper") {
			t.Fatalf("panic log lacks the delivery ID or the panic:\n%s", out)
		}
	})
}

func TestAcceptedDeliverySurvivesARestart(t *testing.T) {
	for name, cfg := range dbtest.Backends(t) {
		t.Run(name, func(t *testing.T) {
			dbCfg := cfg(t)
			first := dbtest.Open(t, dbCfg)
			// The first process accepts the delivery and dies before working it.
			q1 := newQueue(t, first, newRecorder(), nil)
			d := delivery("opened")
			accept(t, q1, d)
			first.Close()

			second := dbtest.Open(t, dbCfg)
			rec := newRecorder()
			q2 := newQueue(t, second, rec, nil)
			start(t, q2)
			if got := rec.wait(t, 10*time.Second); got.DeliveryID != d.ID {
				t.Fatalf("evaluated %+v after restart", got)
			}
		})
	}
}

func TestAcceptFailsLoudlyWhenTheDatabaseIsGone(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLiteConfig(t))
	q := newQueue(t, db, newRecorder(), nil)
	db.Close()
	if _, err := q.Accept(context.Background(), delivery("opened")); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("want an error from a closed database, got %v", err)
	}
}

// An event that joins a job which then gives up must not be lost with it.
func TestEventDuringAJobThatGivesUpIsEvaluated(t *testing.T) {
	for _, how := range []string{"permanent error", "last attempt fails"} {
		t.Run(how, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *store.DB) {
				rec := newRecorder()
				joined := make(chan struct{})
				rec.answer = func(n int, _ queue.Request) error {
					if n > 1 {
						return nil
					}
					<-joined
					if how == "permanent error" {
						return permanent{}
					}
					return errors.New("GitHub is down")
				}
				q, err := queue.New(db, rec, queue.Config{
					Workers: 2, CoalesceQuiet: 10 * time.Millisecond, CoalesceMax: time.Second,
					PollInterval: 20 * time.Millisecond, MaxAttempts: 1,
				})
				if err != nil {
					t.Fatal(err)
				}
				start(t, q)
				accept(t, q, delivery("opened"))
				wait.Until(t, 10*time.Second, "the first evaluation to start", func() bool { return rec.count() > 0 })
				review := delivery("submitted")
				if out := accept(t, q, review); out != queue.Coalesced {
					t.Fatalf("outcome %s", out)
				}
				close(joined)
				rec.wait(t, 5*time.Second)
				if got := rec.wait(t, 10*time.Second); got.DeliveryID != review.ID {
					t.Fatalf("evaluated %s, want the review that arrived during the failing job", got.DeliveryID)
				}
			})
		})
	}
}

func TestNewEventWakesAJobWaitingOutItsBackoff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder()
		rec.answer = func(n int, _ queue.Request) error {
			if n == 1 {
				return errors.New("HTTP 502 from GitHub")
			}
			return nil
		}
		q := newQueue(t, db, rec, nil)
		start(t, q)
		accept(t, q, delivery("opened"))
		rec.wait(t, 10*time.Second)
		var retryAt time.Time
		wait.Until(t, 5*time.Second, "the job to wait for its retry", func() bool {
			var state string
			state, retryAt, _ = jobRow(t, db)
			return state == "retryable" || state == "available"
		})
		if out := accept(t, q, delivery("submitted")); out != queue.Coalesced {
			t.Fatalf("outcome %s", out)
		}
		if _, at, _ := jobRow(t, db); !at.Before(retryAt) {
			t.Fatalf("the retry stays at %s: a new event must make the waiting job run at once", at)
		}
		rec.wait(t, 10*time.Second)
	})
}

// Commands and sweeps hand the queue deliveries without a receipt time;
// they are timed on arrival like webhooks, so coalescing and retention
// treat them alike.
func TestADeliveryWithoutATimeIsTimedOnArrival(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		q := newQueue(t, db, newRecorder(), nil)
		d := delivery("created")
		d.ReceivedAt = time.Time{}
		before := time.Now().Add(-time.Second)
		accept(t, q, d)
		var st store.PRState
		err := db.InTx(context.Background(), func(tx store.Tx) error {
			var err error
			st, err = store.GetPRState(context.Background(), tx, d.PR.RepoID, d.PR.Number)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if st.LastEventAt.Before(before) || st.FirstEventAt.Before(before) {
			t.Fatalf("event times %v / %v: want the time it was accepted", st.FirstEventAt, st.LastEventAt)
		}
	})
}
