package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

func TestHeadSightingsAreKeptPerPullRequestAndPruned(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
		pr := store.PRRef{RepoID: 100, Repo: "acme/shop", Number: 7}
		other := store.PRRef{RepoID: 100, Repo: "acme/shop", Number: 8}
		opened := decision.HeadSighting{SHA: "aaa", From: t0, To: t0.Add(300 * time.Millisecond), Opened: true}
		pushed := decision.HeadSighting{SHA: "bbb", From: t0.Add(time.Hour), To: t0.Add(time.Hour + time.Second)}
		err := db.InTx(ctx, func(tx store.Tx) error {
			for _, s := range []struct {
				pr store.PRRef
				s  decision.HeadSighting
			}{{pr, opened}, {pr, pushed}, {pr, pushed}, {other, pushed}} {
				if err := store.RecordHeadSighting(ctx, tx, s.pr, s.s); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		read := func() []decision.HeadSighting {
			var got []decision.HeadSighting
			if err := db.InTx(ctx, func(tx store.Tx) error {
				var err error
				got, err = store.HeadSightings(ctx, tx, pr)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return got
		}
		got := read()
		if len(got) != 2 || got[0] != pushed || got[1] != opened {
			t.Fatalf("sightings %+v, want the push and the opening, newest first", got)
		}

		// Kept as long as other pull request state (90 days).
		if _, err := store.Prune(ctx, db, pushed.To.Add(store.DefaultRetention.State-time.Minute), store.DefaultRetention); err != nil {
			t.Fatal(err)
		}
		if got := read(); len(got) != 1 || got[0] != pushed {
			t.Fatalf("after pruning: %+v, want the push only", got)
		}
	})
}
