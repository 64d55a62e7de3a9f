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
	// State covers check-run records, verdicts, idle pull requests and
	// coverage reports.
	State time.Duration
}

// DefaultRetention keeps deliveries for 14 days and state for 90.
var DefaultRetention = Retention{Deliveries: 14 * 24 * time.Hour, State: 90 * 24 * time.Hour}

// Pruned counts removed rows.
type Pruned struct {
	Deliveries, CheckRuns, Verdicts, PullRequests, Coverage int64
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
		if p.Verdicts, err = tx.Exec(ctx, `DELETE FROM head_verdicts WHERE updated_at < $1`, state); err != nil {
			return err
		}
		if p.CheckRuns, err = tx.Exec(ctx, `DELETE FROM check_runs WHERE updated_at < $1 AND lease_until < $2`, state, now.UnixMilli()); err != nil {
			return err
		}
		if p.Coverage, err = tx.Exec(ctx, `DELETE FROM coverage_reports WHERE uploaded_at < $1`, state); err != nil {
			return err
		}
		p.PullRequests, err = tx.Exec(ctx, `DELETE FROM pr_queue WHERE job_id IS NULL AND last_event_at < $1`, state)
		return err
	})
	if err != nil {
		return p, fmt.Errorf("prune old rows: %w", err)
	}
	return p, nil
}
