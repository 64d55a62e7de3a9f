package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// These queries read what the web view shows, from the tables the audit
// trail already keeps; they change nothing.

// PullRequestEvaluations returns a pull request's evaluations, newest
// first, at most limit of them (all when limit is 0).
func PullRequestEvaluations(ctx context.Context, tx Tx, repo string, number, limit int) ([]Evaluation, error) {
	q := `SELECT id, at, repo, pr_number, head_sha, policy, trigger, conclusion, rules, duration_ms, delivery_id, findings FROM evaluations
		WHERE repo = $1 AND pr_number = $2 ORDER BY at DESC, id DESC`
	args := []any{strings.ToLower(repo), number}
	if limit > 0 {
		q += ` LIMIT $3`
		args = append(args, limit)
	}
	var out []Evaluation
	err := tx.Query(ctx, q, args, func(r Row) error {
		var e Evaluation
		var at, ms int64
		var rules, findings string
		if err := r.Scan(&e.ID, &at, &e.Repo, &e.Number, &e.HeadSHA, &e.Policy, &e.Trigger, &e.Conclusion, &rules, &ms, &e.DeliveryID, &findings); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(rules), &e.Rules); err != nil {
			return fmt.Errorf("evaluation of %s#%d: rules: %w", e.Repo, e.Number, err)
		}
		var err error
		if e.Findings, e.FindingsOmitted, err = decodeFindings(findings); err != nil {
			return fmt.Errorf("evaluation of %s#%d: %w", e.Repo, e.Number, err)
		}
		e.At, e.Duration = time.UnixMilli(at).UTC(), time.Duration(ms)*time.Millisecond
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the evaluations of %s#%d: %w", repo, number, err)
	}
	return out, nil
}

// OverrideRecord is an override as recorded, whether or not it still
// applies.
type OverrideRecord struct {
	Rule, HeadSHA, Actor, Reason string
	KeepOnPush                   bool
	At                           time.Time
}

// HoldRecord is a hold as recorded, with its release when released.
type HoldRecord struct {
	Actor, Reason string
	At            time.Time
	ReleasedBy    string
	ReleasedAt    time.Time
}

// PullRequestInterventionHistory returns every override and hold placed on
// a pull request, released or not, oldest first. It looks the pull request
// up by name, as the pages address it.
func PullRequestInterventionHistory(ctx context.Context, tx Tx, repo string, number int) ([]OverrideRecord, []HoldRecord, error) {
	var overrides []OverrideRecord
	err := tx.Query(ctx, `SELECT rule, head_sha, keep_on_push, actor, reason, created_at FROM overrides
		WHERE LOWER(repo) = $1 AND pr_number = $2 ORDER BY created_at, id`, []any{strings.ToLower(repo), number}, func(r Row) error {
		var o OverrideRecord
		var keep, at int64
		if err := r.Scan(&o.Rule, &o.HeadSHA, &keep, &o.Actor, &o.Reason, &at); err != nil {
			return err
		}
		o.KeepOnPush, o.At = keep != 0, time.UnixMilli(at).UTC()
		overrides = append(overrides, o)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read the overrides of %s#%d: %w", repo, number, err)
	}
	var holds []HoldRecord
	err = tx.Query(ctx, `SELECT actor, reason, created_at, released_by, released_at FROM holds
		WHERE LOWER(repo) = $1 AND pr_number = $2 ORDER BY created_at, id`, []any{strings.ToLower(repo), number}, func(r Row) error {
		var h HoldRecord
		var at int64
		var by sql.NullString
		var released sql.NullInt64
		if err := r.Scan(&h.Actor, &h.Reason, &at, &by, &released); err != nil {
			return err
		}
		h.At, h.ReleasedBy = time.UnixMilli(at).UTC(), by.String
		if released.Valid {
			h.ReleasedAt = time.UnixMilli(released.Int64).UTC()
		}
		holds = append(holds, h)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read the holds of %s#%d: %w", repo, number, err)
	}
	return overrides, holds, nil
}

// TimelineFilter selects timeline records: AuditFilter's fields, and the
// kinds to keep.
type TimelineFilter struct {
	AuditFilter
	// Kinds keeps only these kinds: the audit log's actions, "evaluation"
	// and "policy.change". Empty keeps all.
	Kinds []string
}

// Timeline returns the organization's audit records matching the filter,
// newest first: the audit log's actions and evaluations as AuditTrail
// reads them, and policy changes. Unlike AuditTrail it filters kinds in
// the query, so a Limit of merges is not crowded out by evaluations.
//
// A policy change is the first evaluation under a policy version the
// organization had not been evaluated under before: when the new policy
// took effect, not when it was pushed. A return to an earlier version is
// not shown.
func Timeline(ctx context.Context, tx Tx, f TimelineFilter) ([]AuditRecord, error) {
	if f.Limit <= 0 {
		f.Limit = 10000
	}
	until := f.Until
	if until.IsZero() {
		until = time.Unix(1<<40, 0)
	}
	want := func(kind string) bool { return len(f.Kinds) == 0 || slices.Contains(f.Kinds, kind) }
	var out []AuditRecord

	var actions []string
	for _, k := range f.Kinds {
		if k != "evaluation" && k != "policy.change" {
			actions = append(actions, k)
		}
	}
	if len(f.Kinds) == 0 || len(actions) > 0 {
		entries, err := auditEntries(ctx, tx, f.AuditFilter, until, actions)
		if err != nil {
			return nil, err
		}
		out = append(out, entries...)
	}
	if want("evaluation") {
		evaluations, err := auditEvaluations(ctx, tx, f.AuditFilter, until)
		if err != nil {
			return nil, err
		}
		out = append(out, evaluations...)
	}
	// A policy change lets nothing past a rule, and concerns the whole
	// organization.
	if want("policy.change") && !f.Bypasses && f.Number == 0 && f.Rule == "" && f.Owner != "" {
		changes, err := policyChanges(ctx, tx, f.Owner, f.Since, until)
		if err != nil {
			return nil, err
		}
		out = append(out, changes...)
	}
	slices.SortStableFunc(out, func(a, b AuditRecord) int { return b.At.Compare(a.At) })
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// policyChanges finds, for each policy version the organization was
// evaluated under, the first evaluation under it, and reports those in
// [since, until) after the first version as changes.
func policyChanges(ctx context.Context, tx Tx, owner string, since, until time.Time) ([]AuditRecord, error) {
	type first struct {
		policy string
		at     int64
	}
	var firsts []first
	err := tx.Query(ctx, `SELECT policy, MIN(at) FROM evaluations WHERE owner = $1 GROUP BY policy`,
		[]any{strings.ToLower(owner)}, func(r Row) error {
			var p first
			if err := r.Scan(&p.policy, &p.at); err != nil {
				return err
			}
			firsts = append(firsts, p)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read the policy versions of %s: %w", owner, err)
	}
	slices.SortFunc(firsts, func(a, b first) int {
		if a.at != b.at {
			return int(min(max(a.at-b.at, -1), 1))
		}
		return strings.Compare(a.policy, b.policy)
	})
	var out []AuditRecord
	for i := 1; i < len(firsts); i++ {
		at := time.UnixMilli(firsts[i].at).UTC()
		if at.Before(since) || !at.Before(until) {
			continue
		}
		out = append(out, AuditRecord{At: at, Kind: "policy.change", SHA: firsts[i].policy,
			Detail: map[string]any{"policy": firsts[i].policy, "previous": firsts[i-1].policy}})
	}
	return out, nil
}
