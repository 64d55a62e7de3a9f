package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

func delivery(id string, at time.Time) store.Delivery {
	return store.Delivery{
		ID: id, Event: "pull_request", Action: "synchronize", InstallationID: 9,
		PR: store.PRKey{RepoID: 100, Repo: "acme/shop", Number: 7}, ReceivedAt: at,
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		for i := 0; i < 2; i++ {
			if err := db.Migrate(context.Background()); err != nil {
				t.Fatalf("migration run %d: %v", i+1, err)
			}
		}
	})
}

func TestDeliveriesAreRecordedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		record := func(id string) bool {
			var fresh bool
			err := db.InTx(ctx, func(tx store.Tx) error {
				var err error
				fresh, err = store.RecordDelivery(ctx, tx, delivery(id, time.Now()))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return fresh
		}
		if !record("d-1") {
			t.Fatal("first delivery should be fresh")
		}
		if record("d-1") {
			t.Fatal("a redelivery must be recognised")
		}
		if !record("d-2") {
			t.Fatal("another delivery is fresh")
		}
	})
}

func TestPRCoalescingState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.UnixMilli(1_700_000_000_000)
		note := func(id string, at time.Time) store.PRState {
			var s store.PRState
			if err := db.InTx(ctx, func(tx store.Tx) error {
				var err error
				s, err = store.NotePREvent(ctx, tx, delivery(id, at), time.Second)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := note("a", t0)
		if s.Seq != 1 || s.JobID != nil || !s.FirstEventAt.Equal(t0) || s.LeadingSeq != 1 {
			t.Fatalf("first event: %+v", s)
		}
		key := s.Key
		if err := db.InTx(ctx, func(tx store.Tx) error { return store.SetPRJob(ctx, tx, key, 42) }); err != nil {
			t.Fatal(err)
		}
		s = note("b", t0.Add(time.Second))
		if s.Seq != 2 || s.JobID == nil || *s.JobID != 42 || !s.FirstEventAt.Equal(t0) || !s.LastEventAt.Equal(t0.Add(time.Second)) || s.DeliveryID != "b" || s.LeadingSeq != 1 {
			t.Fatalf("coalesced event keeps the burst's first time: %+v", s)
		}

		finish := func(seq, job int64) bool {
			var done bool
			if err := db.InTx(ctx, func(tx store.Tx) error {
				var err error
				done, err = store.FinishPR(ctx, tx, key, seq, job)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return done
		}
		if finish(1, 42) {
			t.Fatal("a job that saw seq 1 must not finish after event 2 arrived")
		}
		if finish(2, 41) {
			t.Fatal("only the pull request's own job may finish it")
		}
		if !finish(2, 42) {
			t.Fatal("the job saw the latest event and may finish")
		}
		s = note("c", t0.Add(time.Minute))
		if s.JobID != nil || !s.FirstEventAt.Equal(t0.Add(time.Minute)) || s.LeadingSeq != 3 {
			t.Fatalf("after finishing and a quiet period, a new burst starts with a leading event: %+v", s)
		}
		// An event right after the last is not after a quiet period: it
		// waits with the rest of its burst.
		s = note("d", t0.Add(time.Minute+100*time.Millisecond))
		if s.Seq != 4 || s.LeadingSeq != 3 {
			t.Fatalf("an event within the quiet period must not lead: %+v", s)
		}
		if err := db.InTx(ctx, func(tx store.Tx) error {
			_, err := store.GetPRState(ctx, tx, 999, 1)
			return err
		}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown pull request: %v", err)
		}
	})
}

func TestCheckRunRecords(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cr := store.CheckRuns{DB: db}
		k := store.CheckRunKey{RepoID: 1, HeadSHA: "abc", Name: "mergeguard"}
		if _, err := cr.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing record: %v", err)
		}
		if err := cr.Put(ctx, k, store.CheckRunRecord{ID: 5, OutputDigest: "d1", Annotations: []string{"x"}}); err != nil {
			t.Fatal(err)
		}
		if err := cr.Put(ctx, k, store.CheckRunRecord{ID: 5, OutputDigest: "d2", Annotations: []string{"x", "y"}}); err != nil {
			t.Fatal(err)
		}
		rec, err := cr.Get(ctx, k)
		if err != nil || rec.ID != 5 || rec.OutputDigest != "d2" || len(rec.Annotations) != 2 {
			t.Fatalf("record %+v, %v", rec, err)
		}
	})
}

func TestPruneRemovesOnlyWhatIsPastRetention(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.UnixMilli(1_800_000_000_000)
		old, recent := now.Add(-30*24*time.Hour), now.Add(-time.Hour)
		err := db.InTx(ctx, func(tx store.Tx) error {
			for id, at := range map[string]time.Time{"old": old, "recent": recent} {
				d := delivery(id, at)
				d.PR.Number = map[string]int{"old": 1, "recent": 2}[id]
				if _, err := store.RecordDelivery(ctx, tx, d); err != nil {
					return err
				}
				if _, err := store.NotePREvent(ctx, tx, d, time.Second); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		p, err := store.Prune(ctx, db, now, store.Retention{Deliveries: 14 * 24 * time.Hour, State: 7 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if p.Deliveries != 1 || p.PullRequests != 1 {
			t.Fatalf("pruned %+v, want the old delivery and the old idle pull request", p)
		}
		err = db.InTx(ctx, func(tx store.Tx) error {
			_, err := store.GetPRState(ctx, tx, 100, 2)
			return err
		})
		if err != nil {
			t.Fatalf("the recent pull request must stay: %v", err)
		}
	})
}

// TestInstallationOfMatchesTheOwnerExactly: the owner can come from a URL
// (the web view's /ui/{org}/…), so a '%' or '_' in it must not match other
// organizations' installations.
func TestInstallationOfMatchesTheOwnerExactly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := delivery("x", time.UnixMilli(1_700_000_000_000))
		if err := db.InTx(ctx, func(tx store.Tx) error {
			_, err := store.NotePREvent(ctx, tx, d, time.Second)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if id, err := store.InstallationOf(ctx, db, "ACME"); err != nil || id != 9 {
			t.Fatalf("InstallationOf(ACME) = %d, %v; want 9", id, err)
		}
		for _, owner := range []string{"%", "acm_", "ac%", "acme/shop", ""} {
			if id, err := store.InstallationOf(ctx, db, owner); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("InstallationOf(%q) = %d, %v; want not found", owner, id, err)
			}
		}
	})
}
