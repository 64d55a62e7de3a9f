package store

import (
	"context"
	"fmt"
	"time"
)

// Retention says how long rows are kept.
type Retention struct {
	// Deliveries are kept to recognise redeliveries; GitHub offers to
	// redeliver for a few days.
	Deliveries time.Duration
	// State covers check-run records, verdicts, idle pull requests,
	// coverage reports and the heads pull requests were seen at.
	State time.Duration
	// Audit covers the audit trail: evaluations, overrides, holds and the
	// actions log. Zero keeps it forever.
	Audit time.Duration
}

// DefaultRetention keeps deliveries for 14 days, state for 90 and the
// audit trail for 400 (a year and its postmortems).
var DefaultRetention = Retention{Deliveries: 14 * 24 * time.Hour, State: 90 * 24 * time.Hour, Audit: 400 * 24 * time.Hour}

// Pruned counts removed rows.
type Pruned struct {
	Deliveries, CheckRuns, Verdicts, PullRequests, Coverage, Audit, HeadSightings int64
}

// Prune deletes rows older than the retention. A pull request with a
// pending job is never pruned, nor is a check run under a publishing lease.
func Prune(ctx context.Context, db *DB, now time.Time, r Retention) (Pruned, error) {
	var p Pruned
	deliveries := now.Add(-r.Deliveries).UnixMilli()
	state := now.Add(-r.State).UnixMilli()
	err := db.InTx(ctx, func(tx Tx) error {
		var err error
		if p.Deliveries, err = tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE received_at < $1`, deliveries); err != nil {
			return err
		}
		receipts, err := pruneReceipts(ctx, tx, deliveries)
		if err != nil {
			return err
		}
		reruns, err := pruneReruns(ctx, tx, deliveries)
		if err != nil {
			return err
		}
		p.Deliveries += receipts + reruns
		if p.Verdicts, err = tx.Exec(ctx, `DELETE FROM head_verdicts WHERE updated_at < $1`, state); err != nil {
			return err
		}
		if p.CheckRuns, err = tx.Exec(ctx, `DELETE FROM check_runs WHERE updated_at < $1 AND lease_until < $2`, state, now.UnixMilli()); err != nil {
			return err
		}
		if p.Coverage, err = tx.Exec(ctx, `DELETE FROM coverage_reports WHERE uploaded_at < $1`, state); err != nil {
			return err
		}
		if p.HeadSightings, err = tx.Exec(ctx, `DELETE FROM head_sightings WHERE to_at < $1`, state); err != nil {
			return err
		}
		// A head's review requests matter while the head is current; a
		// pull request idle past the state retention may be asked again.
		var rr int64
		if rr, err = tx.Exec(ctx, `DELETE FROM review_requests WHERE requested_at < $1`, state); err != nil {
			return err
		}
		p.Verdicts += rr
		// The PagerDuty receiver refuses events older than
		// MaxPagerDutyEventAge, so an event pruned here can no longer be
		// replayed into a freeze.
		var pd int64
		if pd, err = tx.Exec(ctx, `DELETE FROM pagerduty_events WHERE received_at < $1`, state); err != nil {
			return err
		}
		p.Deliveries += pd
		if r.Audit > 0 {
			if p.Audit, err = pruneAudit(ctx, tx, now.Add(-r.Audit).UnixMilli()); err != nil {
				return err
			}
		}
		p.PullRequests, err = tx.Exec(ctx, `DELETE FROM pr_queue WHERE job_id IS NULL AND last_event_at < $1`, state)
		return err
	})
	if err != nil {
		return p, fmt.Errorf("prune old rows: %w", err)
	}
	return p, nil
}

// pruneAudit deletes audit records older than before. A hold not yet
// released is kept, whatever its age: it still blocks.
func pruneAudit(ctx context.Context, tx Tx, before int64) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM evaluations WHERE at < $1`,
		`DELETE FROM audit_log WHERE at < $1`,
		`DELETE FROM overrides WHERE created_at < $1`,
		`DELETE FROM holds WHERE created_at < $1 AND released_at IS NOT NULL`,
	} {
		n, err := tx.Exec(ctx, q, before)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
