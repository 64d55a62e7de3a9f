package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

func TestReviewRequestsAreClaimedOncePerHead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		claim := func(number int, head string) bool {
			t.Helper()
			var claimed bool
			err := db.InTx(ctx, func(tx store.Tx) error {
				var err error
				claimed, err = store.ClaimReviewRequest(ctx, tx, "acme/shop", number, head, []string{"lee"}, []string{"payments"}, t0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return claimed
		}
		steps := []struct {
			number int
			head   string
			want   bool
		}{
			{1, "aaa", true},
			{1, "aaa", false}, // a redelivery or re-evaluation of the same head
			{1, "bbb", true},  // after a push
			{2, "aaa", true},  // another pull request
		}
		for i, s := range steps {
			if got := claim(s.number, s.head); got != s.want {
				t.Errorf("step %d (#%d@%s): claimed %v, want %v", i, s.number, s.head, got, s.want)
			}
		}
		// Pruned with the per-head state, a head may be asked again.
		if _, err := store.Prune(ctx, db, t0.Add(store.DefaultRetention.State+time.Hour), store.DefaultRetention); err != nil {
			t.Fatal(err)
		}
		if !claim(1, "aaa") {
			t.Error("after pruning, the head's request was still claimed")
		}
	})
}
