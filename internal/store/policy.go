package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// PolicyState remembers, per organization, the last policy commit that
// compiled.
type PolicyState struct {
	DB  *DB
	Now func() time.Time
}

// GetLastGood returns the recorded commit, or "" when there is none.
func (p PolicyState) GetLastGood(ctx context.Context, owner string) (string, error) {
	var sha string
	err := p.DB.InTx(ctx, func(tx Tx) error {
		return tx.QueryRow(ctx, `SELECT sha FROM policy_last_good WHERE owner = $1`, strings.ToLower(owner)).Scan(&sha)
	})
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the last good policy of %s: %w", owner, err)
	}
	return sha, nil
}

// SetLastGood records the commit.
func (p PolicyState) SetLastGood(ctx context.Context, owner, sha string) error {
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	return p.DB.InTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO policy_last_good (owner, sha, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (owner) DO UPDATE SET sha = excluded.sha, updated_at = excluded.updated_at`,
			strings.ToLower(owner), sha, now.UnixMilli())
		if err != nil {
			return fmt.Errorf("record the last good policy of %s: %w", owner, err)
		}
		return nil
	})
}
