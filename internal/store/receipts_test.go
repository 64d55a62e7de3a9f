package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

func TestEveryReceivedDeliveryIsKnownOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		// A pull request's delivery is recorded with its job...
		err := db.InTx(ctx, func(tx store.Tx) error {
			_, err := store.RecordDelivery(ctx, tx, delivery("pr-1", at))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// ...the others leave a receipt, and GitHub's redelivery of one
		// leaves it as it was.
		for _, r := range []store.Receipt{
			{ID: "ping-1", Event: "ping", Outcome: "ping", ReceivedAt: at},
			{ID: "push-1", Event: "push", Outcome: "push", ReceivedAt: at},
			{ID: "push-1", Event: "push", Outcome: "push", ReceivedAt: at.Add(time.Hour)},
		} {
			if err := store.RecordReceipt(ctx, db, r); err != nil {
				t.Fatal(err)
			}
		}
		// More IDs than one IN list holds.
		ids := []string{"pr-1", "ping-1", "push-1", "never"}
		for i := range 450 {
			ids = append(ids, fmt.Sprintf("other-%d", i))
		}
		known, err := store.KnownDeliveries(ctx, db, ids)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Sorted(maps.Keys(known)); !slices.Equal(got, []string{"ping-1", "pr-1", "push-1"}) {
			t.Fatalf("known %v", got)
		}
		if known, err := store.KnownDeliveries(ctx, db, nil); err != nil || len(known) != 0 {
			t.Fatalf("no IDs: %v, %v", known, err)
		}

		// Receipts go with the deliveries' retention.
		p, err := store.Prune(ctx, db, at.Add(14*24*time.Hour+time.Minute), store.DefaultRetention)
		if err != nil {
			t.Fatal(err)
		}
		if p.Deliveries != 3 {
			t.Fatalf("pruned %d deliveries and receipts, want 3", p.Deliveries)
		}
	})
}

func TestARedeliveryIsClaimedOncePerWindowAndGivenUpOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)
		claim := func(at time.Time, attempt int64) bool {
			t.Helper()
			ok, err := store.ClaimRedelivery(ctx, db, store.RedeliveryClaim{
				ID: "guid-1", Event: "pull_request", AttemptID: attempt, At: at, Since: at.Add(-10 * time.Minute), MaxRequests: 2,
			})
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		record := func() store.Redelivery {
			t.Helper()
			recs, err := store.Redeliveries(ctx, db, []string{"guid-1", "guid-2"})
			if err != nil {
				t.Fatal(err)
			}
			return recs["guid-1"]
		}

		if !claim(t0, 11) {
			t.Fatal("the first claim failed")
		}
		// Another replica in the same window.
		if claim(t0.Add(time.Minute), 11) {
			t.Fatal("a second claim within the window succeeded")
		}
		// A rate limit: the request never reached GitHub and is taken back.
		if err := store.UnclaimRedelivery(ctx, db, "guid-1"); err != nil {
			t.Fatal(err)
		}
		if r := record(); r.Requests != 0 {
			t.Fatalf("after taking back: %+v", r)
		}
		if !claim(t0.Add(2*time.Minute), 12) || !claim(t0.Add(20*time.Minute), 13) {
			t.Fatal("claims after taking back, and in the next window, failed")
		}
		if r := record(); r.Requests != 2 || r.AttemptID != 13 || !r.RequestedAt.Equal(t0.Add(20*time.Minute)) || !r.GaveUpAt.IsZero() {
			t.Fatalf("record %+v", r)
		}
		if claim(t0.Add(time.Hour), 14) {
			t.Fatal("a claim beyond MaxRequests succeeded")
		}
		for i, want := range []bool{true, false} {
			first, err := store.GiveUpRedelivery(ctx, db, "guid-1", "pull_request", t0.Add(2*time.Hour))
			if err != nil || first != want {
				t.Fatalf("give up %d: %v, %v; want %v", i+1, first, err, want)
			}
		}
		if r := record(); !r.GaveUpAt.Equal(t0.Add(2 * time.Hour)) {
			t.Fatalf("record after giving up %+v", r)
		}
		// Giving up on a delivery never asked for (it was already too old).
		if first, err := store.GiveUpRedelivery(ctx, db, "guid-2", "push", t0); err != nil || !first {
			t.Fatalf("give up unasked: %v, %v", first, err)
		}
		if ok, err := store.ClaimRedelivery(ctx, db, store.RedeliveryClaim{ID: "guid-2", Event: "push", At: t0.Add(time.Hour), Since: t0, MaxRequests: 3}); err != nil || ok {
			t.Fatalf("a claim after giving up: %v, %v", ok, err)
		}
	})
}
