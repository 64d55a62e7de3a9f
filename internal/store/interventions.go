package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// PRRef names a pull request for interventions.
type PRRef struct {
	RepoID int64
	Repo   string // owner/name
	Number int
}

// newID is a random row ID.
func newID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// AddOverride records an override under key (the command that gave it),
// and reports false when that key was recorded before: a retried command
// does not record twice.
func AddOverride(ctx context.Context, tx Tx, key string, pr PRRef, o decision.Override) (bool, error) {
	keep := 0
	if o.KeepOnPush {
		keep = 1
	}
	n, err := tx.Exec(ctx, `INSERT INTO overrides (id, repo_id, repo, pr_number, rule, head_sha, keep_on_push, actor, reason, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
		key, pr.RepoID, pr.Repo, pr.Number, o.Rule, o.HeadSHA, keep, o.By, o.Reason, o.At.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("record the override of %s on %s#%d: %w", o.Rule, pr.Repo, pr.Number, err)
	}
	return n > 0, nil
}

// AddHold records a hold under key, like AddOverride.
func AddHold(ctx context.Context, tx Tx, key string, pr PRRef, h decision.Hold) (bool, error) {
	n, err := tx.Exec(ctx, `INSERT INTO holds (id, repo_id, repo, pr_number, actor, reason, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`, key, pr.RepoID, pr.Repo, pr.Number, h.By, h.Reason, h.At.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("record the hold on %s#%d: %w", pr.Repo, pr.Number, err)
	}
	return n > 0, nil
}

// ReleaseHolds releases every hold on the pull request and returns the
// holds released.
func ReleaseHolds(ctx context.Context, tx Tx, pr PRRef, by string, at time.Time) ([]decision.Hold, error) {
	held, err := activeHolds(ctx, tx, pr)
	if err != nil {
		return nil, err
	}
	if len(held) == 0 {
		return nil, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE holds SET released_by = $1, released_at = $2
		WHERE repo_id = $3 AND pr_number = $4 AND released_at IS NULL`, by, at.UnixMilli(), pr.RepoID, pr.Number); err != nil {
		return nil, fmt.Errorf("release the holds on %s#%d: %w", pr.Repo, pr.Number, err)
	}
	return held, nil
}

// Interventions returns the overrides and unreleased holds of a pull
// request, oldest first. Overrides for other head commits are included;
// decision.Interventions.Applicable picks those that apply.
func Interventions(ctx context.Context, tx Tx, pr PRRef) (decision.Interventions, error) {
	var iv decision.Interventions
	err := tx.Query(ctx, `SELECT rule, head_sha, keep_on_push, actor, reason, created_at FROM overrides
		WHERE repo_id = $1 AND pr_number = $2 ORDER BY created_at, id`, []any{pr.RepoID, pr.Number}, func(r Row) error {
		var o decision.Override
		var keep, at int64
		if err := r.Scan(&o.Rule, &o.HeadSHA, &keep, &o.By, &o.Reason, &at); err != nil {
			return err
		}
		o.KeepOnPush, o.At = keep != 0, time.UnixMilli(at).UTC()
		iv.Overrides = append(iv.Overrides, o)
		return nil
	})
	if err != nil {
		return iv, fmt.Errorf("read the overrides of %s#%d: %w", pr.Repo, pr.Number, err)
	}
	iv.Holds, err = activeHolds(ctx, tx, pr)
	return iv, err
}

func activeHolds(ctx context.Context, tx Tx, pr PRRef) ([]decision.Hold, error) {
	var out []decision.Hold
	err := tx.Query(ctx, `SELECT actor, reason, created_at FROM holds
		WHERE repo_id = $1 AND pr_number = $2 AND released_at IS NULL ORDER BY created_at, id`, []any{pr.RepoID, pr.Number}, func(r Row) error {
		var h decision.Hold
		var at int64
		if err := r.Scan(&h.By, &h.Reason, &at); err != nil {
			return err
		}
		h.At = time.UnixMilli(at).UTC()
		out = append(out, h)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the holds of %s#%d: %w", pr.Repo, pr.Number, err)
	}
	return out, nil
}
