package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// noteRerun records that someone asked to see the pull request's check
// again; the latest request replaces an earlier one not yet answered.
func noteRerun(ctx context.Context, tx Tx, pr PRKey, r decision.Rerun) error {
	_, err := tx.Exec(ctx, `INSERT INTO rerun_requests (repo_id, pr_number, requested_by, via, requested_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (repo_id, pr_number) DO UPDATE SET
			requested_by = excluded.requested_by, via = excluded.via, requested_at = excluded.requested_at`,
		pr.RepoID, pr.Number, r.By, r.Via, r.At.UnixMilli())
	if err != nil {
		return fmt.Errorf("note the re-run of %s asked by %s: %w", pr, r.By, err)
	}
	return nil
}

// PendingRerun returns the pull request's re-run request that no
// evaluation has answered yet, or nil.
func PendingRerun(ctx context.Context, db *DB, repoID int64, number int) (*decision.Rerun, error) {
	var r decision.Rerun
	var at int64
	err := db.InTx(ctx, func(tx Tx) error {
		return tx.QueryRow(ctx, `SELECT requested_by, via, requested_at FROM rerun_requests WHERE repo_id = $1 AND pr_number = $2`,
			repoID, number).Scan(&r.By, &r.Via, &at)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the re-run requests of pull request %d in repository %d: %w", number, repoID, err)
	}
	r.At = time.UnixMilli(at)
	return &r, nil
}

// AnsweredRerun deletes the pull request's re-run request once an
// evaluation has answered it. A request made since (after r.At) stays, for
// the next evaluation to answer.
func AnsweredRerun(ctx context.Context, db *DB, repoID int64, number int, r decision.Rerun) error {
	err := db.InTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM rerun_requests WHERE repo_id = $1 AND pr_number = $2 AND requested_at <= $3`,
			repoID, number, r.At.UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("mark the re-run of pull request %d in repository %d as answered: %w", number, repoID, err)
	}
	return nil
}

// pruneReruns deletes re-run requests never answered (the pull request
// closed, or its evaluations kept failing) older than before.
func pruneReruns(ctx context.Context, tx Tx, before int64) (int64, error) {
	return tx.Exec(ctx, `DELETE FROM rerun_requests WHERE requested_at < $1`, before)
}
