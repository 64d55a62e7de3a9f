package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// The publisher's records (see decision.CheckRunKey).
type (
	CheckRunKey    = decision.CheckRunKey
	CheckRunRecord = decision.CheckRunRecord
	HeadVerdict    = decision.HeadVerdict
)

// CheckRuns reads and writes check-run records and the verdicts they show.
// It satisfies the publisher's state interface.
type CheckRuns struct {
	DB  *DB
	Now func() time.Time
	// Replica is the number of this server's replica (see JoinReplicas),
	// recorded with the leases it takes; 0 on SQLite.
	Replica int32
}

func (c CheckRuns) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// Get returns the record, or ErrNotFound.
func (c CheckRuns) Get(ctx context.Context, k CheckRunKey) (CheckRunRecord, error) {
	var rec CheckRunRecord
	err := c.DB.InTx(ctx, func(tx Tx) error {
		var anns string
		err := tx.QueryRow(ctx, `SELECT check_run_id, output_digest, annotations FROM check_runs
			WHERE repo_id = $1 AND head_sha = $2 AND name = $3`, k.RepoID, k.HeadSHA, k.Name).
			Scan(&rec.ID, &rec.OutputDigest, &anns)
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(anns), &rec.Annotations)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return rec, fmt.Errorf("read check run record for %s: %w", k.HeadSHA, err)
	}
	return rec, err
}

// Put stores the record.
func (c CheckRuns) Put(ctx context.Context, k CheckRunKey, rec CheckRunRecord) error {
	if rec.Annotations == nil {
		rec.Annotations = []string{}
	}
	anns, err := json.Marshal(rec.Annotations)
	if err != nil {
		return err
	}
	return c.DB.InTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO check_runs (repo_id, head_sha, name, check_run_id, output_digest, annotations, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (repo_id, head_sha, name) DO UPDATE SET
				check_run_id = excluded.check_run_id,
				output_digest = excluded.output_digest,
				annotations = excluded.annotations,
				updated_at = excluded.updated_at`,
			k.RepoID, k.HeadSHA, k.Name, rec.ID, rec.OutputDigest, string(anns), c.now().UnixMilli())
		if err != nil {
			return fmt.Errorf("save check run record for %s: %w", k.HeadSHA, err)
		}
		return nil
	})
}

// Claim takes the publishing lease on a commit's check run until until. It
// returns false while another owner holds an unexpired lease.
func (c CheckRuns) Claim(ctx context.Context, k CheckRunKey, owner string, until time.Time) (bool, error) {
	var claimed bool
	err := c.DB.InTx(ctx, func(tx Tx) error {
		n, err := tx.Exec(ctx, `INSERT INTO check_runs (repo_id, head_sha, name, check_run_id, output_digest, annotations, updated_at, lease_owner, lease_until, lease_replica)
			VALUES ($1, $2, $3, 0, '', '[]', $4, $5, $6, $7)
			ON CONFLICT (repo_id, head_sha, name) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until, lease_replica = excluded.lease_replica
			WHERE check_runs.lease_until < $4 OR check_runs.lease_owner = excluded.lease_owner`,
			k.RepoID, k.HeadSHA, k.Name, c.now().UnixMilli(), owner, until.UnixMilli(), int64(c.Replica))
		claimed = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim check run on %s: %w", k.HeadSHA, err)
	}
	return claimed, nil
}

// ReleaseAllLeases frees every publishing lease. Only for a server that
// owns the database alone (SQLite, after LockSQLite), at start-up: any lease
// then is left by a previous process that stopped while publishing, and
// would otherwise hold its commit's check run until it expires.
func (c CheckRuns) ReleaseAllLeases(ctx context.Context) (int64, error) {
	var n int64
	err := c.DB.InTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.Exec(ctx, `UPDATE check_runs SET lease_owner = '', lease_until = 0 WHERE lease_owner <> ''`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("release check-run leases left by the previous process: %w", err)
	}
	return n, nil
}

// ReleaseLeasesOf frees the publishing leases held by replicas that died
// (see HoldDeadReplica), so their commits' check runs need not wait for the
// leases to expire.
func ReleaseLeasesOf(ctx context.Context, tx Tx, replicas []int32) error {
	for _, r := range replicas {
		if _, err := tx.Exec(ctx, `UPDATE check_runs SET lease_owner = '', lease_until = 0 WHERE lease_replica = $1 AND lease_owner <> ''`, int64(r)); err != nil {
			return fmt.Errorf("release check-run leases of stopped replica %d: %w", r, err)
		}
	}
	return nil
}

// Release gives up the lease if owner holds it.
func (c CheckRuns) Release(ctx context.Context, k CheckRunKey, owner string) error {
	return c.DB.InTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, `UPDATE check_runs SET lease_owner = '', lease_until = 0
			WHERE repo_id = $1 AND head_sha = $2 AND name = $3 AND lease_owner = $4`, k.RepoID, k.HeadSHA, k.Name, owner)
		return err
	})
}

// SaveVerdict records a pull request's verdict on a head commit.
func (c CheckRuns) SaveVerdict(ctx context.Context, repoID int64, sha string, v HeadVerdict) error {
	return c.DB.InTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO head_verdicts (repo_id, head_sha, pr_number, base_ref, conclusion, output, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (repo_id, head_sha, pr_number) DO UPDATE SET
				base_ref = excluded.base_ref, conclusion = excluded.conclusion,
				output = excluded.output, updated_at = excluded.updated_at`,
			repoID, sha, v.PR, v.BaseRef, v.Conclusion, v.Output, c.now().UnixMilli())
		if err != nil {
			return fmt.Errorf("save verdict of #%d on %s: %w", v.PR, sha, err)
		}
		return nil
	})
}

// Verdicts lists the verdicts on a head commit, by pull request number.
func (c CheckRuns) Verdicts(ctx context.Context, repoID int64, sha string) ([]HeadVerdict, error) {
	var out []HeadVerdict
	err := c.DB.InTx(ctx, func(tx Tx) error {
		out = nil
		return tx.Query(ctx, `SELECT pr_number, base_ref, conclusion, output FROM head_verdicts
			WHERE repo_id = $1 AND head_sha = $2 ORDER BY pr_number`, []any{repoID, sha}, func(r Row) error {
			var v HeadVerdict
			if err := r.Scan(&v.PR, &v.BaseRef, &v.Conclusion, &v.Output); err != nil {
				return err
			}
			out = append(out, v)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read verdicts on %s: %w", sha, err)
	}
	return out, nil
}

// WithdrawVerdicts removes a pull request's verdicts on every head commit
// but keep (all of them when keep is ""), and returns those commits: their
// check runs no longer include this pull request.
func (c CheckRuns) WithdrawVerdicts(ctx context.Context, repoID int64, pr int, keep string) ([]string, error) {
	var shas []string
	err := c.DB.InTx(ctx, func(tx Tx) error {
		shas = nil
		err := tx.Query(ctx, `SELECT head_sha FROM head_verdicts WHERE repo_id = $1 AND pr_number = $2 AND head_sha <> $3`,
			[]any{repoID, pr, keep}, func(r Row) error {
				var sha string
				if err := r.Scan(&sha); err != nil {
					return err
				}
				shas = append(shas, sha)
				return nil
			})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM head_verdicts WHERE repo_id = $1 AND pr_number = $2 AND head_sha <> $3`, repoID, pr, keep)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("withdraw verdicts of #%d: %w", pr, err)
	}
	return shas, nil
}
