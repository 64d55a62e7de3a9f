package queue_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// lapsingReplica is a membership the test can make lapse.
type lapsingReplica struct {
	mu    sync.Mutex
	lapse context.Context
	cause context.CancelFunc
}

func newLapsingReplica() *lapsingReplica {
	r := &lapsingReplica{}
	r.lapse, r.cause = context.WithCancel(context.Background())
	return r
}

func (r *lapsingReplica) Number() int32 { return 4242 }

func (r *lapsingReplica) Guard(ctx context.Context) (context.Context, context.CancelFunc) {
	r.mu.Lock()
	lapse := r.lapse
	r.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(lapse, cancel)
	return ctx, func() { stop(); cancel() }
}

func (r *lapsingReplica) lapseNow() { r.cause() }

func (r *lapsingReplica) restore() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lapse, r.cause = context.WithCancel(context.Background())
}

// An evaluation running when its replica's membership lapses is stopped
// (it stops calling GitHub) and runs again once the membership is back.
func TestALapsedMembershipStopsRunningEvaluations(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLiteConfig(t))
	replica := newLapsingReplica()
	var mu sync.Mutex
	var outcomes []error
	rec := newRecorder()
	ev := queue.EvaluatorFunc(func(ctx context.Context, req queue.Request) error {
		mu.Lock()
		first := len(outcomes) == 0
		mu.Unlock()
		if !first {
			return rec.EvaluatePR(ctx, req)
		}
		<-ctx.Done() // the first evaluation waits on GitHub until stopped
		mu.Lock()
		outcomes = append(outcomes, ctx.Err())
		mu.Unlock()
		return ctx.Err()
	})
	q := newQueueWith(t, db, ev, queue.Config{
		Workers: 1, CoalesceQuiet: 50 * time.Millisecond, CoalesceMax: time.Second,
		PollInterval: 20 * time.Millisecond, Replica: replica,
	})
	start(t, q)
	accept(t, q, delivery("opened"))
	time.Sleep(500 * time.Millisecond) // the evaluation is under way
	replica.lapseNow()
	wait.Until(t, 10*time.Second, "the running evaluation to stop", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(outcomes) == 1
	})
	if !errors.Is(outcomes[0], context.Canceled) {
		t.Fatalf("first evaluation ended with %v, want its context cancelled", outcomes[0])
	}
	replica.restore()
	rec.wait(t, 15*time.Second)
}
