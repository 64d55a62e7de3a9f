package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ClaimReviewRequest records that reviews are requested on a pull
// request's head commit, and reports whether this call recorded it: false
// when reviews were already requested for that head (by an earlier
// evaluation, or a concurrent one), and nothing should be sent again. users
// and teams are kept to say whom the request named.
func ClaimReviewRequest(ctx context.Context, tx Tx, repo string, number int, headSHA string, users, teams []string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `INSERT INTO review_requests (repo, number, head_sha, users, teams, requested_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (repo, number, head_sha) DO NOTHING`,
		repo, number, headSHA, strings.Join(users, " "), strings.Join(teams, " "), at.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("record the review request on %s#%d@%s: %w", repo, number, headSHA, err)
	}
	return n == 1, nil
}
