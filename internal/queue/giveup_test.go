package queue_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/logbuf"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

type gaveUp struct {
	req   queue.Request
	cause error
}

// A job that cannot produce a verdict ends, and says so once: on its last
// attempt, or at once when retrying cannot help.
func TestAJobThatKeepsFailingEndsVisibly(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
		fail        error
		publish     error
		state       string
		reason      string
		evaluations int
	}{
		{name: "out of attempts", maxAttempts: 2, fail: errors.New("GitHub is down"), state: "discarded", reason: metrics.FailedExhausted, evaluations: 2},
		{name: "cannot succeed", maxAttempts: 5, fail: permanent{}, state: "cancelled", reason: metrics.FailedPermanent, evaluations: 1},
		{name: "GitHub unavailable for longer than the wait bound", maxAttempts: 5, fail: outage{time.Now().Add(-2 * time.Hour)},
			state: "cancelled", reason: metrics.FailedUnavailable, evaluations: 1},
		{name: "publishing the failure fails too", maxAttempts: 1, fail: errors.New("GitHub is down"), publish: errors.New("GitHub is still down"),
			state: "discarded", reason: metrics.FailedExhausted, evaluations: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *store.DB) {
				rec := newRecorder()
				rec.answer = func(int, queue.Request) error { return tt.fail }
				calls := make(chan gaveUp, 10)
				m := metrics.New()
				var logs logbuf.Buffer
				q := newQueueWith(t, db, rec, queue.Config{
					Workers: 2, CoalesceQuiet: 10 * time.Millisecond, CoalesceMax: time.Second,
					PollInterval: 20 * time.Millisecond, MaxAttempts: tt.maxAttempts, Metrics: m,
					Logger: slog.New(slog.NewTextHandler(&logs, nil)),
					OnGiveUp: func(ctx context.Context, req queue.Request, cause error) error {
						if _, ok := ctx.Deadline(); !ok {
							t.Error("OnGiveUp must be bounded in time")
						}
						calls <- gaveUp{req, cause}
						return tt.publish
					},
				})
				start(t, q)
				d := delivery("opened")
				accept(t, q, d)

				var got gaveUp
				select {
				case got = <-calls:
				case <-time.After(20 * time.Second):
					t.Fatalf("OnGiveUp was not called (%d evaluations)", rec.count())
				}
				if n := rec.count(); n != tt.evaluations {
					t.Errorf("gave up after %d evaluations, want %d", n, tt.evaluations)
				}
				want := queue.Request{PR: acmeShop12, RepoID: 77, DeliveryID: d.ID}
				if got.req != want || !errors.Is(got.cause, tt.fail) && !strings.Contains(got.cause.Error(), tt.fail.Error()) {
					t.Errorf("OnGiveUp(%+v, %v), want %+v and the evaluation's error", got.req, got.cause, want)
				}
				wait.Until(t, 5*time.Second, "the job to end", func() bool {
					state, _, _ := jobRow(t, db)
					return state == tt.state
				})
				if n := testutil.ToFloat64(m.EvaluationsFailed.WithLabelValues(tt.reason)); n != 1 {
					t.Errorf("evaluations_failed{reason=%q} = %v, want 1", tt.reason, n)
				}
				if tt.publish != nil {
					if testutil.ToFloat64(m.FailureReportErrors) != 1 || !logs.Contains("could not show the failed evaluation on GitHub") {
						t.Errorf("a failure to publish must be counted and logged:\n%s", logs.String())
					}
				}
				select {
				case extra := <-calls:
					t.Fatalf("OnGiveUp called again: %+v", extra)
				case <-time.After(300 * time.Millisecond):
				}
				// The pull request is free for the next event.
				if out := accept(t, q, delivery("synchronize")); out != queue.Queued {
					t.Fatalf("outcome %s, want a new job", out)
				}
			})
		})
	}
}

// outage is the GitHub client's error while GitHub answers nothing.
type outage struct{ since time.Time }

func (e outage) Error() string          { return "GitHub has answered nothing since " + e.since.String() }
func (e outage) OutageSince() time.Time { return e.since }

// While GitHub answers nothing, a job waits for it without spending its
// attempts, however long that takes within the bound; when GitHub is back
// it evaluates as usual and nothing is given up.
func TestAJobWaitsForGitHubWithoutSpendingAttempts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder()
		since := time.Now()
		rec.answer = func(n int, _ queue.Request) error {
			if n <= 3 {
				return fmt.Errorf("get pull request: %w", outage{since})
			}
			return nil
		}
		m := metrics.New()
		gaveUp := make(chan error, 1)
		q := newQueueWith(t, db, rec, queue.Config{
			Workers: 2, CoalesceQuiet: 10 * time.Millisecond, CoalesceMax: time.Second,
			PollInterval: 20 * time.Millisecond, MaxAttempts: 2, Metrics: m, OutagePoll: 40 * time.Millisecond,
			OnGiveUp: func(_ context.Context, _ queue.Request, cause error) error { gaveUp <- cause; return nil },
		})
		start(t, q)
		accept(t, q, delivery("opened"))
		for range 4 {
			rec.wait(t, 10*time.Second)
		}
		wait.Until(t, 5*time.Second, "the job to complete", func() bool {
			state, _, _ := jobRow(t, db)
			return state == "completed"
		})
		select {
		case err := <-gaveUp:
			t.Fatalf("gave up during the outage: %v", err)
		default:
		}
		if n := testutil.ToFloat64(m.JobsDeferred.WithLabelValues(metrics.DeferredUnavailable)); n != 3 {
			t.Errorf("jobs_deferred{reason=github_unavailable} = %v, want 3", n)
		}
		if n := testutil.ToFloat64(m.EvaluationsFailed.WithLabelValues(metrics.FailedUnavailable)); n != 0 {
			t.Errorf("evaluations_failed{reason=github_unavailable} = %v, want 0", n)
		}
	})
}
