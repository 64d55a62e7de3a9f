package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

func TestFreezesStartEndAndAreAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		var org, shop store.Freeze
		err := db.InTx(ctx, func(tx store.Tx) error {
			var err error
			org, err = store.CreateFreeze(ctx, tx, store.Freeze{Owner: "Acme", Reason: "checkout errors", StartsAt: t0, CreatedBy: "ic", CreatedAt: t0, Source: "cli"})
			if err != nil {
				return err
			}
			shop, err = store.CreateFreeze(ctx, tx, store.Freeze{Owner: "acme", Repositories: []string{"shop"}, Reason: "db migration", StartsAt: t0, EndsAt: t0.Add(2 * time.Hour), CreatedBy: "dba", CreatedAt: t0, Source: "https://github.com/acme/.github/issues/3#issuecomment-1"})
			if err != nil {
				return err
			}
			return store.Audit(ctx, tx, store.AuditEntry{At: t0, Owner: "acme", Actor: "ic", Action: "freeze.start", Subject: "freeze 1", Details: map[string]any{"reason": "checkout errors"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		if org.ID != 1 || shop.ID != 2 {
			t.Fatalf("ids %d %d", org.ID, shop.ID)
		}
		active := func(at time.Time) []int64 {
			var ids []int64
			db.InTx(ctx, func(tx store.Tx) error {
				fs, err := store.Freezes(ctx, tx, "ACME", at)
				for _, f := range fs {
					if f.ActiveAt(at) {
						ids = append(ids, f.ID)
					}
				}
				return err
			})
			return ids
		}
		if got := active(t0.Add(time.Hour)); !slices.Equal(got, []int64{1, 2}) {
			t.Fatalf("active %v", got)
		}
		if got := active(t0.Add(3 * time.Hour)); !slices.Equal(got, []int64{1}) {
			t.Fatalf("the planned end passed: %v", got)
		}
		var ended []store.Freeze
		err = db.InTx(ctx, func(tx store.Tx) error {
			var err error
			ended, err = store.EndFreezes(ctx, tx, "acme", 0, "ic", t0.Add(4*time.Hour))
			return err
		})
		if err != nil || len(ended) != 1 || ended[0].ID != 1 || ended[0].EndedBy != "ic" {
			t.Fatalf("ended %+v %v", ended, err)
		}
		if got := active(t0.Add(5 * time.Hour)); len(got) != 0 {
			t.Fatalf("after unfreeze: %v", got)
		}
		var log []store.AuditEntry
		var recent []store.Freeze
		db.InTx(ctx, func(tx store.Tx) error {
			log, err = store.AuditLog(ctx, tx, "acme", t0)
			if err != nil {
				return err
			}
			recent, err = store.RecentFreezes(ctx, tx, "acme", t0.Add(-time.Hour))
			return err
		})
		if len(log) != 1 || log[0].Action != "freeze.start" || log[0].Details["reason"] != "checkout errors" {
			t.Fatalf("audit log %+v", log)
		}
		if len(recent) != 2 || !recent[0].EndedAt.Equal(t0.Add(4*time.Hour)) || !slices.Equal(recent[1].Repositories, []string{"shop"}) {
			t.Fatalf("recent %+v", recent)
		}
	})
}
