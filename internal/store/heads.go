package store

import (
	"context"
	"fmt"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// maxSightings bounds the sightings read for one pull request: the most
// recent are kept (a busy pull request has a few hundred).
const maxSightings = 5000

// RecordHeadSighting records that the pull request was seen at a head.
func RecordHeadSighting(ctx context.Context, tx Tx, pr PRRef, s decision.HeadSighting) error {
	opened := 0
	if s.Opened {
		opened = 1
	}
	_, err := tx.Exec(ctx, `INSERT INTO head_sightings (repo_id, pr_number, head_sha, from_at, to_at, opened)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		pr.RepoID, pr.Number, s.SHA, s.From.UnixMilli(), s.To.UnixMilli(), opened)
	if err != nil {
		return fmt.Errorf("record the head of %s#%d: %w", pr.Repo, pr.Number, err)
	}
	return nil
}

// HeadSightings returns what was seen of the pull request's head, the
// most recent maxSightings of it.
func HeadSightings(ctx context.Context, tx Tx, pr PRRef) ([]decision.HeadSighting, error) {
	var out []decision.HeadSighting
	err := tx.Query(ctx, `SELECT head_sha, from_at, to_at, opened FROM head_sightings
		WHERE repo_id = $1 AND pr_number = $2 ORDER BY to_at DESC LIMIT $3`, []any{pr.RepoID, pr.Number, maxSightings}, func(r Row) error {
		var s decision.HeadSighting
		var from, to, opened int64
		if err := r.Scan(&s.SHA, &from, &to, &opened); err != nil {
			return err
		}
		s.From, s.To, s.Opened = time.UnixMilli(from).UTC(), time.UnixMilli(to).UTC(), opened != 0
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the heads seen of %s#%d: %w", pr.Repo, pr.Number, err)
	}
	return out, nil
}
