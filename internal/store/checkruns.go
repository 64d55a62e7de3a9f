package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CheckRunKey identifies the check run mergeguard owns on a head commit.
type CheckRunKey struct {
	RepoID  int64
	HeadSHA string
	Name    string
}

// CheckRunRecord is what mergeguard last published on a check run.
type CheckRunRecord struct {
	ID           int64
	OutputDigest string
	// Annotations are the keys of annotations the check run already carries.
	Annotations []string
}

// CheckRuns reads and writes check-run records. It satisfies the publisher's
// state interface.
type CheckRuns struct{ DB *DB }

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
			k.RepoID, k.HeadSHA, k.Name, rec.ID, rec.OutputDigest, string(anns), time.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("save check run record for %s: %w", k.HeadSHA, err)
		}
		return nil
	})
}
