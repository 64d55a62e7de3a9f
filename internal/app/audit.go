package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/store"
)

// auditTrail gives the evaluator the pull request's overrides and holds,
// and records what it decided.
type auditTrail struct{ db *store.DB }

func (a auditTrail) Interventions(ctx context.Context, repoID int64, repo string, number int) (decision.Interventions, error) {
	var iv decision.Interventions
	err := a.db.InTx(ctx, func(tx store.Tx) error {
		var err error
		iv, err = store.Interventions(ctx, tx, store.PRRef{RepoID: repoID, Repo: repo, Number: number})
		return err
	})
	return iv, err
}

func (a auditTrail) Evaluated(ctx context.Context, e evaluator.Evaluated) error {
	rules := make(map[string]string, len(e.Verdict.Rules))
	var findings []store.Finding
	for _, r := range e.Verdict.Rules {
		rules[r.ID] = string(r.Outcome)
		findings = appendFindings(findings, r)
	}
	// The input document goes with the record, for replay; one that cannot
	// be encoded is left out rather than losing the audit record.
	doc, err := json.Marshal(e.Input)
	if err != nil {
		doc = nil
	}
	return a.db.InTx(ctx, func(tx store.Tx) error {
		return store.RecordEvaluation(ctx, tx, store.Evaluation{
			At: e.At, Repo: e.Repo, Number: e.Number, HeadSHA: e.HeadSHA, Policy: e.Policy, Trigger: e.Trigger,
			Conclusion: string(e.Verdict.Conclusion), Rules: rules, Duration: e.Took, DeliveryID: e.DeliveryID,
			Findings: findings, Input: doc, InputVersion: e.Input.Version,
		})
	})
}

// appendFindings adds what a rule reported: its denials, its warnings, and
// why it could not be evaluated.
func appendFindings(out []store.Finding, r decision.RuleResult) []store.Finding {
	add := func(f decision.Finding, warning bool) {
		sf := store.Finding{Rule: r.ID, Message: f.Message, Warning: warning}
		if f.Location != nil {
			sf.Path, sf.Line = f.Location.Path, f.Location.StartLine
		}
		out = append(out, sf)
	}
	for _, f := range r.Denials {
		add(f, false)
	}
	for _, f := range r.Warnings {
		add(f, true)
	}
	if r.Err != "" {
		out = append(out, store.Finding{Rule: r.ID, Message: "Could not be evaluated: " + r.Err})
	}
	return out
}

func (a auditTrail) Merged(ctx context.Context, repo string, number int, headSHA, by string, at time.Time) error {
	subject := fmt.Sprintf("%s#%d", repo, number)
	owner, _, _ := strings.Cut(repo, "/")
	return a.db.InTx(ctx, func(tx store.Tx) error {
		if seen, err := store.AuditExists(ctx, tx, "merge", subject); err != nil || seen {
			return err
		}
		conclusion, err := store.LatestConclusion(ctx, tx, repo, number, headSHA)
		if err != nil {
			return err
		}
		if conclusion == "" {
			conclusion = "not evaluated"
		}
		return store.Audit(ctx, tx, store.AuditEntry{
			At: at, Owner: owner, Repo: repo, Actor: by, Action: "merge", Subject: subject,
			Details: map[string]any{"head_sha": headSHA, "conclusion": conclusion},
		})
	})
}

var _ evaluator.Audit = auditTrail{}
