package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Freeze is an incident freeze.
type Freeze struct {
	ID    int64
	Owner string
	// Repositories it applies to (names); empty for the whole organization.
	Repositories []string
	Reason       string
	StartsAt     time.Time
	// EndsAt is the planned end; zero for a freeze until someone ends it.
	EndsAt    time.Time
	CreatedBy string
	CreatedAt time.Time
	// Source says where it was started: a comment's URL, or "cli".
	Source  string
	EndedBy string
	EndedAt time.Time
}

// End is when the freeze stops applying: when someone ended it, or as
// planned; zero while it has no end.
func (f Freeze) End() time.Time {
	switch {
	case !f.EndedAt.IsZero() && (f.EndsAt.IsZero() || f.EndedAt.Before(f.EndsAt)):
		return f.EndedAt
	default:
		return f.EndsAt
	}
}

// ActiveAt reports whether the freeze applies at t.
func (f Freeze) ActiveAt(t time.Time) bool {
	end := f.End()
	return !t.Before(f.StartsAt) && (end.IsZero() || t.Before(end))
}

// CreateFreeze stores a new freeze and returns it with its ID: one more than
// the highest so far, so people can say "/guard unfreeze 7".
func CreateFreeze(ctx context.Context, tx Tx, f Freeze) (Freeze, error) {
	if f.Repositories == nil {
		f.Repositories = []string{}
	}
	repos, err := json.Marshal(f.Repositories)
	if err != nil {
		return f, err
	}
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM freezes`).Scan(&f.ID); err != nil {
		return f, fmt.Errorf("number the freeze: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO freezes
		(id, owner, repositories, reason, starts_at, ends_at, created_by, created_at, source)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		f.ID, strings.ToLower(f.Owner), string(repos), f.Reason, f.StartsAt.UnixMilli(), nullableMillis(f.EndsAt),
		f.CreatedBy, f.CreatedAt.UnixMilli(), f.Source)
	if err != nil {
		return f, fmt.Errorf("store freeze: %w", err)
	}
	return f, nil
}

// EndFreezes ends the organization's freezes that apply at now — all of
// them, or only the one with id when id > 0 — and returns them.
func EndFreezes(ctx context.Context, tx Tx, owner string, id int64, by string, now time.Time) ([]Freeze, error) {
	active, err := Freezes(ctx, tx, owner, now)
	if err != nil {
		return nil, err
	}
	var ended []Freeze
	for _, f := range active {
		if !f.ActiveAt(now) || id > 0 && f.ID != id {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE freezes SET ended_by = $1, ended_at = $2 WHERE id = $3`, by, now.UnixMilli(), f.ID); err != nil {
			return nil, fmt.Errorf("end freeze %d: %w", f.ID, err)
		}
		f.EndedBy, f.EndedAt = by, now.Truncate(time.Millisecond)
		ended = append(ended, f)
	}
	return ended, nil
}

// Freezes returns the organization's freezes that have not ended by now
// (including ones that start later), oldest first.
func Freezes(ctx context.Context, tx Tx, owner string, now time.Time) ([]Freeze, error) {
	ms := now.UnixMilli()
	return selectFreezes(ctx, tx, owner, `(ended_at IS NULL OR ended_at > $2) AND (ends_at IS NULL OR ends_at > $2)`, ms)
}

// RecentFreezes returns the organization's freezes that started since, for
// `mergeguard freeze list`.
func RecentFreezes(ctx context.Context, tx Tx, owner string, since time.Time) ([]Freeze, error) {
	return selectFreezes(ctx, tx, owner, `starts_at >= $2`, since.UnixMilli())
}

const freezeColumns = `id, owner, repositories, reason, starts_at, ends_at, created_by, created_at, source, ended_by, ended_at`

// selectFreezes returns the organization's freezes matching cond, in which
// $2 is arg.
func selectFreezes(ctx context.Context, tx Tx, owner, cond string, arg any) ([]Freeze, error) {
	var out []Freeze
	err := tx.Query(ctx, `SELECT `+freezeColumns+` FROM freezes WHERE owner = $1 AND `+cond+` ORDER BY id`,
		[]any{strings.ToLower(owner), arg}, func(r Row) error {
			f, err := scanFreeze(r)
			if err != nil {
				return err
			}
			out = append(out, f)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read the freezes of %s: %w", owner, err)
	}
	return out, nil
}

func scanFreeze(r Row) (Freeze, error) {
	var (
		f               Freeze
		repos           string
		starts, created int64
		ends, endedAt   sql.NullInt64
		endedBy         sql.NullString
	)
	if err := r.Scan(&f.ID, &f.Owner, &repos, &f.Reason, &starts, &ends, &f.CreatedBy, &created, &f.Source, &endedBy, &endedAt); err != nil {
		return f, err
	}
	if err := json.Unmarshal([]byte(repos), &f.Repositories); err != nil {
		return f, fmt.Errorf("freeze %d: repositories: %w", f.ID, err)
	}
	f.StartsAt, f.CreatedAt = time.UnixMilli(starts).UTC(), time.UnixMilli(created).UTC()
	if ends.Valid {
		f.EndsAt = time.UnixMilli(ends.Int64).UTC()
	}
	if endedAt.Valid {
		f.EndedAt = time.UnixMilli(endedAt.Int64).UTC()
	}
	f.EndedBy = endedBy.String
	return f, nil
}

func nullableMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// FreezeFrom returns the organization's freeze started from source (a
// comment's URL), or ErrNotFound.
func FreezeFrom(ctx context.Context, tx Tx, owner, source string) (Freeze, error) {
	return scanFreeze(tx.QueryRow(ctx, `SELECT `+freezeColumns+` FROM freezes WHERE owner = $1 AND source = $2 ORDER BY id LIMIT 1`,
		strings.ToLower(owner), source))
}
