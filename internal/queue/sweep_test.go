package queue_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/logbuf"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// fakeLister serves a repository's open pull requests and counts listings.
type fakeLister struct {
	mu       sync.Mutex
	open     []int
	listings int
}

func (l *fakeLister) OpenPullRequests(_ context.Context, _ int64, repo string) ([]int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.listings++
	return l.open, nil
}

func (l *fakeLister) Repositories(context.Context, int64) ([]queue.Repository, error) {
	return []queue.Repository{{ID: 77, FullName: "acme/shop"}, {ID: 78, FullName: "other/x"}}, nil
}

func (l *fakeLister) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.listings
}

func sweepQueue(t *testing.T, db *store.DB, ev queue.Evaluator, l queue.Lister) *queue.Queue {
	t.Helper()
	return newQueueWith(t, db, ev, queue.Config{
		Workers: 4, CoalesceQuiet: 50 * time.Millisecond, CoalesceMax: time.Second,
		PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logbuf.Buffer{}, nil)), Lister: l,
	})
}

// Two replicas schedule the same re-evaluation (every evaluation of every
// pull request in the repository names the same instant): the repository
// is listed once, and each open pull request evaluated once.
func TestASweepScheduledByEveryReplicaRunsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder()
		lister := &fakeLister{open: []int{12, 13}}
		a, b := sweepQueue(t, db, rec, lister), sweepQueue(t, db, rec, lister)
		at := time.Now().Add(time.Second)
		for _, q := range []*queue.Queue{a, b, a} {
			if err := q.ScheduleSweep(context.Background(), 5, 77, "acme/shop", at, "recheck"); err != nil {
				t.Fatal(err)
			}
		}
		start(t, a)
		start(t, b)
		wait.Until(t, 15*time.Second, "both pull requests evaluated", func() bool { return rec.count() == 2 })
		rec.wait(t, time.Second)
		rec.wait(t, time.Second)
		rec.settle(t, 500*time.Millisecond)
		if lister.count() != 1 {
			t.Fatalf("%d listings, want 1", lister.count())
		}
	})
}

func TestAnOrganizationSweepCoversItsRepositoriesOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder()
		lister := &fakeLister{open: []int{12}}
		q := sweepQueue(t, db, rec, lister)
		ctx := context.Background()
		err := db.InTx(ctx, func(tx store.Tx) error { return q.SweepOrgTx(ctx, tx, 5, "Acme", "freeze-1-start", "freeze started") })
		if err != nil {
			t.Fatal(err)
		}
		start(t, q)
		req := rec.wait(t, 15*time.Second)
		if req.PR.Repo.String() != "acme/shop" || req.PR.Number != 12 || req.Event != "schedule" || req.Action != "freeze started" {
			t.Fatalf("request %+v", req)
		}
		rec.settle(t, 500*time.Millisecond)
		if lister.count() != 1 {
			t.Fatalf("%d listings: other organizations' repositories must not be swept", lister.count())
		}
	})
}
