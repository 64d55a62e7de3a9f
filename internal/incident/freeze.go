// Package incident starts and ends incident freezes: "stop the bleeding"
// freezes that the incident commander starts with /guard freeze in the
// organization's policy repository, or with `mergeguard freeze start`. A
// freeze is stored and audited, and the organization's open pull requests
// are re-evaluated at once, so their checks turn to failure before anyone
// merges; when it ends they turn back.
package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
)

// Sweeper re-evaluates the organization's open pull requests, in the
// transaction that changes the freeze.
type Sweeper interface {
	SweepOrgTx(ctx context.Context, tx store.Tx, installationID int64, owner, key, reason string) error
}

// Start is a freeze to begin now.
type Start struct {
	Owner string
	// InstallationID is the organization's installation, or 0 if unknown.
	InstallationID int64
	Repos          []string
	Reason         string
	// Ends is the planned end; zero for a freeze until someone ends it.
	Ends time.Time
	By   string
	// Source says where it was started: a comment's URL, "cli", "api",
	// "api:<idempotency key>" or "pagerduty:<incident>". A second start
	// from the same source (a retried job, a retried request, a second
	// event about one incident) returns the first freeze; "cli" and "api"
	// name no one request and start a freeze each time.
	Source string
}

// StartFreeze stores the freeze, audits it and sweeps the organization, in
// one transaction.
func StartFreeze(ctx context.Context, db *store.DB, sweeps Sweeper, s Start, now time.Time) (store.Freeze, error) {
	var f store.Freeze
	err := db.InTx(ctx, func(tx store.Tx) error {
		if s.Source != "" && s.Source != "cli" && s.Source != "api" {
			existing, err := store.FreezeFrom(ctx, tx, s.Owner, s.Source)
			if err == nil {
				f = existing
				return nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		var err error
		f, err = store.CreateFreeze(ctx, tx, store.Freeze{
			Owner: s.Owner, Repositories: s.Repos, Reason: s.Reason, StartsAt: now, EndsAt: s.Ends,
			CreatedBy: s.By, CreatedAt: now, Source: s.Source,
		})
		if err != nil {
			return err
		}
		details := map[string]any{"reason": s.Reason, "repositories": f.Repositories, "source": s.Source}
		if !s.Ends.IsZero() {
			details["ends_at"] = s.Ends.UTC().Format(time.RFC3339)
		}
		if err := store.Audit(ctx, tx, store.AuditEntry{
			At: now, Owner: s.Owner, Actor: s.By, Action: "freeze.start", Subject: fmt.Sprintf("freeze %d", f.ID), Details: details,
		}); err != nil {
			return err
		}
		return sweeps.SweepOrgTx(ctx, tx, s.InstallationID, s.Owner, fmt.Sprintf("freeze-%d-start", f.ID), "freeze started")
	})
	if err != nil {
		return store.Freeze{}, fmt.Errorf("start a freeze in %s: %w", s.Owner, err)
	}
	return f, nil
}

// End is ending freezes now: one (ID) or all in effect (ID 0).
type End struct {
	Owner          string
	InstallationID int64
	ID             int64
	By             string
	// Source identifies the request, so a retried job sweeps once.
	Source string
}

// EndFreezes ends the freezes, audits each and sweeps the organization, in
// one transaction. It returns the freezes it ended (none when none was in
// effect).
func EndFreezes(ctx context.Context, db *store.DB, sweeps Sweeper, e End, now time.Time) ([]store.Freeze, error) {
	var ended []store.Freeze
	err := db.InTx(ctx, func(tx store.Tx) error {
		var err error
		if ended, err = store.EndFreezes(ctx, tx, e.Owner, e.ID, e.By, now); err != nil {
			return err
		}
		if len(ended) == 0 {
			return nil
		}
		ids := make([]string, len(ended))
		for i, f := range ended {
			ids[i] = fmt.Sprint(f.ID)
			if err := store.Audit(ctx, tx, store.AuditEntry{
				At: now, Owner: e.Owner, Actor: e.By, Action: "freeze.end", Subject: fmt.Sprintf("freeze %d", f.ID),
				Details: map[string]any{"reason": f.Reason, "source": e.Source},
			}); err != nil {
				return err
			}
		}
		key := fmt.Sprintf("freeze-%s-end", strings.Join(ids, "-"))
		return sweeps.SweepOrgTx(ctx, tx, e.InstallationID, e.Owner, key, "freeze ended")
	})
	if err != nil {
		return nil, fmt.Errorf("end freezes in %s: %w", e.Owner, err)
	}
	return ended, nil
}

// Describe says what a freeze covers and until when, in loc.
func Describe(f store.Freeze, owner string, loc *time.Location) string {
	where := "all repositories of " + owner
	if len(f.Repositories) > 0 {
		where = strings.Join(f.Repositories, ", ")
	}
	until := "until someone ends it with `/guard unfreeze`"
	if end := f.End(); !end.IsZero() {
		until = "until " + end.In(loc).Format("Mon 2 Jan 2006 15:04 MST") + " (" + loc.String() + ")"
	}
	return fmt.Sprintf("freeze %d in %s, %s: %s", f.ID, where, until, f.Reason)
}
