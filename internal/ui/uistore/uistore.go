// Package uistore reads the web view's records (internal/ui's Reader)
// from mergeguard's database.
package uistore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/ui"
)

// DB is the part of *store.DB the reader uses.
type DB interface {
	InTx(ctx context.Context, fn func(store.Tx) error) error
}

// Reader implements ui.Reader.
type Reader struct{ db DB }

// New returns a reader over db.
func New(db DB) *Reader { return &Reader{db: db} }

var _ ui.Reader = (*Reader)(nil)

// historyLimit bounds the evaluations shown for one pull request; a pull
// request re-evaluated more often than this shows its latest.
const historyLimit = 200

// PullRequest implements ui.Reader.
func (r *Reader) PullRequest(ctx context.Context, repo string, number int) (ui.PullRequest, error) {
	pr := ui.PullRequest{Repo: repo, Number: number}
	var (
		evals     []store.Evaluation
		overrides []store.OverrideRecord
		holds     []store.HoldRecord
	)
	err := r.db.InTx(ctx, func(tx store.Tx) error {
		var err error
		if evals, err = store.PullRequestEvaluations(ctx, tx, repo, number, historyLimit); err != nil {
			return err
		}
		overrides, holds, err = store.PullRequestInterventionHistory(ctx, tx, repo, number)
		return err
	})
	if err != nil {
		return pr, fmt.Errorf("read %s#%d for the web view: %w", repo, number, err)
	}
	if len(evals) == 0 && len(overrides) == 0 && len(holds) == 0 {
		return pr, ui.ErrNotFound
	}
	for _, e := range evals {
		ev := ui.Evaluation{ID: e.ID, At: e.At, HeadSHA: e.HeadSHA, Policy: e.Policy, Trigger: e.Trigger, Conclusion: e.Conclusion}
		ids := make([]string, 0, len(e.Rules))
		for id := range e.Rules {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		byRule := map[string][]ui.Finding{}
		for _, f := range e.Findings {
			msg := f.Message
			if f.Warning {
				msg = "Warning: " + msg
			}
			byRule[f.Rule] = append(byRule[f.Rule], ui.Finding{Message: msg, Path: f.Path, Line: f.Line})
		}
		for _, id := range ids {
			ev.Rules = append(ev.Rules, ui.RuleResult{ID: id, Outcome: e.Rules[id], Findings: byRule[id]})
		}
		if n := len(e.Findings); e.FindingsOmitted > 0 && n > 0 {
			// Only the first findings are recorded, in the verdict's order,
			// so the rule of the last one recorded is where the cut fell;
			// the check run has them all.
			for i := range ev.Rules {
				if ev.Rules[i].ID == e.Findings[n-1].Rule {
					ev.Rules[i].Findings = append(ev.Rules[i].Findings, ui.Finding{
						Message: fmt.Sprintf("… and %d more findings of this evaluation, in the check run on GitHub", e.FindingsOmitted)})
				}
			}
		}
		pr.Evaluations = append(pr.Evaluations, ev)
	}
	for _, o := range overrides {
		pr.Overrides = append(pr.Overrides, ui.Override{Rule: o.Rule, HeadSHA: o.HeadSHA, Actor: o.Actor, Reason: o.Reason, At: o.At})
	}
	for _, h := range holds {
		pr.Holds = append(pr.Holds, ui.Hold{Actor: h.Actor, Reason: h.Reason, At: h.At, ReleasedBy: h.ReleasedBy, ReleasedAt: h.ReleasedAt})
	}
	return pr, nil
}

// Input implements ui.Reader: the evaluation's stored document, read at
// most ui.MaxInputShown bytes decompressed.
func (r *Reader) Input(ctx context.Context, repo string, number int, evaluationID string) (ui.StoredInput, error) {
	var in store.EvaluationInput
	err := r.db.InTx(ctx, func(tx store.Tx) error {
		var err error
		in, err = store.ReadEvaluationInput(ctx, tx, repo, number, evaluationID, ui.MaxInputShown)
		return err
	})
	switch {
	case errors.Is(err, store.ErrInputTooLarge):
		return ui.StoredInput{}, fmt.Errorf("read the input of %s#%d for the web view: %w", repo, number, ui.ErrInputTooLarge)
	case err != nil:
		return ui.StoredInput{}, fmt.Errorf("read the input of %s#%d for the web view: %w", repo, number, err)
	case !in.Found:
		return ui.StoredInput{}, ui.ErrNotFound
	}
	return ui.StoredInput{Document: in.Document, Size: in.Size}, nil
}

// Timeline implements ui.Reader.
func (r *Reader) Timeline(ctx context.Context, f ui.TimelineFilter) ([]ui.TimelineEntry, error) {
	var recs []store.AuditRecord
	err := r.db.InTx(ctx, func(tx store.Tx) error {
		var err error
		recs, err = store.Timeline(ctx, tx, store.TimelineFilter{
			AuditFilter: store.AuditFilter{Owner: f.Owner, Repo: f.Repo, Since: f.Since, Until: f.Until, Bypasses: f.Bypasses, Limit: f.Limit},
			Kinds:       f.Kinds,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the timeline of %s for the web view: %w", f.Owner, err)
	}
	out := make([]ui.TimelineEntry, len(recs))
	for i, rec := range recs {
		out[i] = ui.TimelineEntry{At: rec.At, Kind: rec.Kind, Repo: rec.Repo, Number: rec.Number, Actor: rec.Actor, Rule: rec.Rule,
			SHA: rec.SHA, Result: rec.Result, Reason: rec.Reason, Details: rec.Detail}
	}
	return out, nil
}

// Freezes implements ui.Reader.
func (r *Reader) Freezes(ctx context.Context, owner string, now time.Time) ([]ui.Freeze, error) {
	var fs []store.Freeze
	err := r.db.InTx(ctx, func(tx store.Tx) error {
		var err error
		fs, err = store.Freezes(ctx, tx, owner, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the freezes of %s for the web view: %w", owner, err)
	}
	out := make([]ui.Freeze, len(fs))
	for i, f := range fs {
		out[i] = ui.Freeze{ID: f.ID, Owner: f.Owner, Repositories: f.Repositories, Reason: f.Reason, StartsAt: f.StartsAt, Ends: f.End(), CreatedBy: f.CreatedBy}
	}
	return out, nil
}
