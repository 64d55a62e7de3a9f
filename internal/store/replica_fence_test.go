package store

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

// A replica that cannot confirm its membership for half the grace period
// stops its running jobs, and runs new ones only once it is back.
func TestALapsedMembershipStopsTheReplicasJobs(t *testing.T) {
	start := time.Now()
	r := &Replica{number: 7, log: slog.New(slog.DiscardHandler), confirmed: start, guards: map[*int]context.CancelCauseFunc{}}
	running, done := r.Guard(context.Background())
	defer done()
	lost := errors.New("connection refused")

	r.settle(lost, start.Add(ReplicaGrace/2-time.Second))
	if running.Err() != nil {
		t.Fatal("a job was stopped before the membership lapsed: a brief reconnect must not stop work")
	}
	r.settle(lost, start.Add(ReplicaGrace/2+time.Second))
	if !errors.Is(context.Cause(running), ErrMembershipLapsed) {
		t.Fatalf("running job's context: %v; want it ended by the lapse", context.Cause(running))
	}
	next, done2 := r.Guard(context.Background())
	defer done2()
	if !errors.Is(context.Cause(next), ErrMembershipLapsed) {
		t.Fatal("a job started while the membership is lapsed was allowed to run")
	}

	r.settle(nil, start.Add(ReplicaGrace))
	again, done3 := r.Guard(context.Background())
	defer done3()
	if again.Err() != nil {
		t.Fatal("jobs stay stopped after the membership came back")
	}
	done3()
	if len(r.guards) != 0 {
		t.Fatalf("%d guards left after their jobs ended", len(r.guards))
	}

	// A check that succeeds after a long gap (the process was frozen)
	// still stops the jobs that ran through it: others may have taken
	// them over. New jobs run.
	frozen, done4 := r.Guard(context.Background())
	defer done4()
	r.settle(nil, start.Add(ReplicaGrace+ReplicaGrace/2+time.Second))
	if !errors.Is(context.Cause(frozen), ErrMembershipLapsed) {
		t.Fatal("a job that ran through a long unconfirmed gap was not stopped")
	}
	fresh, done5 := r.Guard(context.Background())
	defer done5()
	if fresh.Err() != nil {
		t.Fatal("a job started after the membership was confirmed again was stopped")
	}
}
