package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

func joinReplica(t *testing.T, db *store.DB) *store.Replica {
	t.Helper()
	r, err := db.JoinReplicas(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// stuckOn starts a queue on replica whose evaluations never finish, sends
// it a delivery, and returns once the evaluation is running.
func stuckOn(t *testing.T, db *store.DB, replica *store.Replica, maxAttempts int) store.Delivery {
	t.Helper()
	stuck := newRecorder()
	unblock := make(chan struct{})
	stuck.answer = func(int, queue.Request) error { <-unblock; return nil }
	// One worker, busy with the stuck job: a dead replica fetches nothing.
	q := newQueueWith(t, db, stuck, queue.Config{
		Workers: 1, CoalesceQuiet: 50 * time.Millisecond, CoalesceMax: time.Second, MaxAttempts: maxAttempts,
		Replica: replica,
	})
	start(t, q)
	t.Cleanup(func() { close(unblock) }) // before the queue stops: cleanups run last first
	d := delivery("opened")
	accept(t, q, d)
	wait.Until(t, 10*time.Second, "the stuck replica to start evaluating", func() bool { return stuck.count() == 1 })
	return d
}

// A replica that dies mid-evaluation leaves its job running in the
// database. The surviving replica leaves it alone while the first lives,
// and takes it over once it is gone for the grace period.
func TestALiveReplicaTakesOverTheJobOfOneThatDied(t *testing.T) {
	db := dbtest.Open(t, dbtest.PostgresConfig(t))
	replicaA, replicaB := joinReplica(t, db), joinReplica(t, db)
	d := stuckOn(t, db, replicaA, 0) // replica A is evaluating, and will not finish

	survivor := newRecorder()
	m := metrics.New()
	b := newQueueWith(t, db, survivor, queue.Config{
		Workers: 2, CoalesceQuiet: 50 * time.Millisecond, CoalesceMax: time.Second,
		Replica: replicaB, ReplicaGrace: 500 * time.Millisecond, Metrics: m,
	})
	start(t, b)
	// Two takeover rounds with A alive: B must not touch A's job.
	survivor.settle(t, 5*time.Second)

	replicaA.Close() // A's process is gone: PostgreSQL released its lock
	got := survivor.wait(t, 15*time.Second)
	if got.DeliveryID != d.ID || got.PR.Number != d.PR.Number {
		t.Fatalf("the survivor evaluated %+v, want the dead replica's pull request", got)
	}
	if n := testutil.ToFloat64(m.JobsTakenOver.WithLabelValues(metrics.TakenOverResumed)); n != 1 {
		t.Errorf("mergeguard_jobs_taken_over_total{result=resumed} = %v, want 1", n)
	}
	survivor.settle(t, 3*time.Second)
}

// A job whose last attempt died with its replica (say it runs the process
// out of memory) is given up on visibly instead of going round the
// replicas for ever.
func TestAJobThatDiesOnItsLastAttemptIsGivenUpOn(t *testing.T) {
	db := dbtest.Open(t, dbtest.PostgresConfig(t))
	replicaA, replicaB := joinReplica(t, db), joinReplica(t, db)
	d := stuckOn(t, db, replicaA, 1)

	gaveUp := make(chan queue.Request, 1)
	survivor := newRecorder()
	m := metrics.New()
	b := newQueueWith(t, db, survivor, queue.Config{
		Workers: 1, CoalesceQuiet: 50 * time.Millisecond, CoalesceMax: time.Second, MaxAttempts: 1,
		Replica: replicaB, ReplicaGrace: 200 * time.Millisecond, Metrics: m,
		OnGiveUp: func(_ context.Context, req queue.Request, _ error) error { gaveUp <- req; return nil },
	})
	start(t, b)
	replicaA.Close()
	select {
	case req := <-gaveUp:
		if req.PR.Number != d.PR.Number {
			t.Fatalf("gave up on %+v", req)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the job was not given up on")
	}
	if n := testutil.ToFloat64(m.EvaluationsFailed.WithLabelValues(metrics.FailedCrashed)); n != 1 {
		t.Errorf("mergeguard_evaluations_failed_total{reason=crashed} = %v, want 1", n)
	}
	survivor.settle(t, 3*time.Second)

	// The pull request is free again: its next event gets a new job.
	accept(t, b, delivery("synchronize"))
	wait.Until(t, 10*time.Second, "the next event's evaluation", func() bool { return survivor.count() == 1 })
}
