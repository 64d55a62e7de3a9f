package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AuditEntry records something a person did through mergeguard.
type AuditEntry struct {
	At    time.Time
	Owner string
	// Repo is "owner/name", or "" for the organization as a whole.
	Repo  string
	Actor string
	// Action is what happened: freeze.start, freeze.end, …
	Action string
	// Subject is what it happened to: "freeze 7", "acme/shop#42".
	Subject string
	Details map[string]any
}

// Audit appends an entry to the audit log, in the caller's transaction, so
// the record and the change it describes commit together.
func Audit(ctx context.Context, tx Tx, e AuditEntry) error {
	id, err := newID()
	if err != nil {
		return err
	}
	details, err := json.Marshal(e.Details)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (id, at, owner, repo, actor, action, subject, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, e.At.UnixMilli(), strings.ToLower(e.Owner), e.Repo, e.Actor, e.Action, e.Subject, string(details))
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditLog returns the organization's entries since a time, oldest first.
func AuditLog(ctx context.Context, tx Tx, owner string, since time.Time) ([]AuditEntry, error) {
	var out []AuditEntry
	err := tx.Query(ctx, `SELECT at, owner, repo, actor, action, subject, details FROM audit_log
		WHERE owner = $1 AND at >= $2 ORDER BY at, id`, []any{strings.ToLower(owner), since.UnixMilli()}, func(r Row) error {
		var e AuditEntry
		var at int64
		var details string
		if err := r.Scan(&at, &e.Owner, &e.Repo, &e.Actor, &e.Action, &e.Subject, &details); err != nil {
			return err
		}
		e.At = time.UnixMilli(at).UTC()
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			return fmt.Errorf("audit entry %s: %w", e.Action, err)
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the audit log of %s: %w", owner, err)
	}
	return out, nil
}

// AuditExists reports whether the log has an entry with this action and
// subject, so that an action recorded once (a merge) is not recorded again
// when its event is redelivered.
func AuditExists(ctx context.Context, tx Tx, action, subject string) (bool, error) {
	var n int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = $1 AND subject = $2`, action, subject).Scan(&n); err != nil {
		return false, fmt.Errorf("read the audit log: %w", err)
	}
	return n > 0, nil
}
