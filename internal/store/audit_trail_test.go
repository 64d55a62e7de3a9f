package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

// Filters that apply to a record's contents (a rule's outcome, bypasses)
// still find matches older than the newest Limit records.
func TestTheAuditTrailLimitCountsMatchesNotRecordsRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		err := db.InTx(ctx, func(tx store.Tx) error {
			for i := range 5 {
				outcome := "pass"
				if i == 0 {
					outcome = "overridden" // the oldest is the one bypass
				}
				if err := store.RecordEvaluation(ctx, tx, store.Evaluation{
					At: start.Add(time.Duration(i) * time.Minute), Repo: "acme/shop", Number: 7, HeadSHA: "abc",
					Policy: "bundled", Trigger: "pull_request.synchronize", Conclusion: "success",
					Rules: map[string]string{"change_freeze": outcome},
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for name, f := range map[string]store.AuditFilter{
			"bypasses": {Owner: "acme", Bypasses: true, Limit: 2},
			"rule":     {Owner: "acme", Rule: "change_freeze", Limit: 2},
		} {
			var got []store.AuditRecord
			err := db.InTx(ctx, func(tx store.Tx) error {
				var err error
				got, err = store.AuditTrail(ctx, tx, f)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !got[0].At.Equal(start) {
				t.Errorf("%s: got %+v, want the oldest evaluation alone", name, got)
			}
		}
	})
}
