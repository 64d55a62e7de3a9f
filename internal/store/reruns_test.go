package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

// A re-run request waits with its delivery for the next evaluation; the
// evaluation that answers it removes it, but not one made meanwhile; a
// redelivery asks nothing twice.
func TestAReRunRequestWaitsUntilAnEvaluationAnswersIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		record := func(id, by string, at time.Time) {
			t.Helper()
			d := delivery(id, at)
			d.Rerun = &decision.Rerun{By: by, Via: "Re-run"}
			if err := db.InTx(ctx, func(tx store.Tx) error { _, err := store.RecordDelivery(ctx, tx, d); return err }); err != nil {
				t.Fatal(err)
			}
		}
		pending := func() *decision.Rerun {
			t.Helper()
			d := delivery("", at)
			r, err := store.PendingRerun(ctx, db, d.PR.RepoID, d.PR.Number)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := pending(); r != nil {
			t.Fatalf("a pull request nobody asked about has a re-run pending: %+v", r)
		}
		record("rerun-1", "mira", at)
		first := pending()
		if first == nil || first.By != "mira" || first.Via != "Re-run" || !first.At.Equal(at) {
			t.Fatalf("pending re-run = %+v, want mira's at %s", first, at)
		}
		// GitHub redelivers the same delivery later: it is the same request.
		record("rerun-1", "mira", at.Add(time.Hour))
		if r := pending(); !r.At.Equal(at) {
			t.Errorf("a redelivery moved the request to %s", r.At)
		}
		// jonas asks while mira's request is being answered: his stays.
		record("rerun-2", "jonas", at.Add(time.Minute))
		d := delivery("", at)
		if err := store.AnsweredRerun(ctx, db, d.PR.RepoID, d.PR.Number, *first); err != nil {
			t.Fatal(err)
		}
		if r := pending(); r == nil || r.By != "jonas" {
			t.Fatalf("after answering mira, pending = %+v, want jonas's request", r)
		}
		if err := store.AnsweredRerun(ctx, db, d.PR.RepoID, d.PR.Number, *pending()); err != nil {
			t.Fatal(err)
		}
		if r := pending(); r != nil {
			t.Errorf("an answered request is still pending: %+v", r)
		}
	})
}

// A request never answered (the pull request closed, its evaluations kept
// failing) goes with the deliveries of its time.
func TestPruneRemovesReRunRequestsNeverAnswered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.UnixMilli(1_800_000_000_000)
		for number, at := range map[int]time.Time{1: now.Add(-30 * 24 * time.Hour), 2: now.Add(-time.Hour)} {
			d := delivery(fmt.Sprint("rerun-", number), at)
			d.PR.Number, d.Rerun = number, &decision.Rerun{By: "mira", Via: "Re-run"}
			if err := db.InTx(ctx, func(tx store.Tx) error { _, err := store.RecordDelivery(ctx, tx, d); return err }); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := store.Prune(ctx, db, now, store.Retention{Deliveries: 14 * 24 * time.Hour, State: 7 * 24 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		for number, want := range map[int]bool{1: false, 2: true} {
			r, err := store.PendingRerun(ctx, db, 100, number)
			if err != nil || (r != nil) != want {
				t.Errorf("pull request %d: pending re-run %+v (%v), want kept: %v", number, r, err, want)
			}
		}
	})
}
