package uistore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/ui"
	"github.com/mergeguard/mergeguard/internal/ui/uistore"
)

func TestReader(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		shop := store.PRRef{RepoID: 1, Repo: "acme/shop", Number: 42}
		err := db.InTx(ctx, func(tx store.Tx) error {
			for i, c := range []string{"failure", "success"} {
				if err := store.RecordEvaluation(ctx, tx, store.Evaluation{At: t0.Add(time.Duration(i) * time.Hour), Repo: "acme/shop", Number: 42,
					HeadSHA: "h", Policy: "p", Trigger: "opened", Conclusion: c, Rules: map[string]string{"z": "pass", "a": c}}); err != nil {
					return err
				}
			}
			if _, err := store.AddOverride(ctx, tx, "o1", shop, decision.Override{Rule: "a", By: "alice", Reason: "why", At: t0, HeadSHA: "h"}); err != nil {
				return err
			}
			if _, err := store.CreateFreeze(ctx, tx, store.Freeze{Owner: "acme", Repositories: []string{"shop"}, Reason: "outage",
				StartsAt: t0, EndsAt: t0.Add(48 * time.Hour), CreatedBy: "carol", CreatedAt: t0, Source: "cli"}); err != nil {
				return err
			}
			return store.Audit(ctx, tx, store.AuditEntry{At: t0.Add(90 * time.Minute), Owner: "acme", Repo: "acme/shop", Actor: "alice",
				Action: "merge", Subject: "acme/shop#42", Details: map[string]any{"conclusion": "success", "head_sha": "h"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		r := uistore.New(db)
		pr, err := r.PullRequest(ctx, "acme/shop", 42)
		if err != nil {
			t.Fatal(err)
		}
		if len(pr.Evaluations) != 2 || pr.Evaluations[0].Conclusion != "success" ||
			len(pr.Evaluations[0].Rules) != 2 || pr.Evaluations[0].Rules[0].ID != "a" || pr.Evaluations[0].Rules[1].ID != "z" {
			t.Errorf("evaluations: %+v", pr.Evaluations)
		}
		if len(pr.Overrides) != 1 || pr.Overrides[0].Actor != "alice" {
			t.Errorf("overrides: %+v", pr.Overrides)
		}
		if _, err := r.PullRequest(ctx, "acme/shop", 43); !errors.Is(err, ui.ErrNotFound) {
			t.Errorf("unknown pull request: %v", err)
		}
		entries, err := r.Timeline(ctx, ui.TimelineFilter{Owner: "acme", Since: t0, Until: t0.Add(24 * time.Hour), Kinds: []string{"merge"}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Kind != "merge" || entries[0].Number != 42 || entries[0].Result != "success" {
			t.Errorf("timeline: %+v", entries)
		}
		freezes, err := r.Freezes(ctx, "acme", t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(freezes) != 1 || !freezes[0].Ends.Equal(t0.Add(48*time.Hour)) || freezes[0].Repositories[0] != "shop" {
			t.Errorf("freezes: %+v", freezes)
		}
	})
}

// TestFindingsAreRecordedBoundedAndShownByRule: an evaluation's findings
// come back under their rules, a warning marked as one; a rule reporting
// more than store.MaxFindings keeps the first ones, a note says how many
// more the check run has, and a long message is clipped.
func TestFindingsAreRecordedBoundedAndShownByRule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		findings := []store.Finding{
			{Rule: "reviews", Message: "Needs 1 more approval"},
			{Rule: "coverage", Message: "Patch coverage is 61%", Path: "pay/retry.go", Line: 40, Warning: true},
		}
		for i := range store.MaxFindings + 5 {
			findings = append(findings, store.Finding{Rule: "lines", Message: fmt.Sprintf("line finding %d", i), Path: "a.go", Line: i + 1})
		}
		findings[2].Message = strings.Repeat("x", 5000)
		err := db.InTx(ctx, func(tx store.Tx) error {
			return store.RecordEvaluation(ctx, tx, store.Evaluation{At: t0, Repo: "acme/shop", Number: 42, HeadSHA: "h", Policy: "p", Trigger: "opened",
				Conclusion: "failure", Rules: map[string]string{"reviews": "fail", "coverage": "pass", "lines": "fail", "quiet": "pass"}, Findings: findings})
		})
		if err != nil {
			t.Fatal(err)
		}
		pr, err := uistore.New(db).PullRequest(ctx, "acme/shop", 42)
		if err != nil {
			t.Fatal(err)
		}
		rules := map[string][]ui.Finding{}
		for _, r := range pr.Evaluations[0].Rules {
			rules[r.ID] = r.Findings
		}
		if got := rules["reviews"]; len(got) != 1 || got[0].Message != "Needs 1 more approval" {
			t.Errorf("reviews: %+v", got)
		}
		if got := rules["coverage"]; len(got) != 1 || got[0] != (ui.Finding{Message: "Warning: Patch coverage is 61%", Path: "pay/retry.go", Line: 40}) {
			t.Errorf("coverage: %+v", got)
		}
		if got := rules["quiet"]; len(got) != 0 {
			t.Errorf("a rule with no findings shows %+v", got)
		}
		lines := rules["lines"]
		// 198 recorded (200 in all, two of other rules) and the note.
		if len(lines) != store.MaxFindings-2+1 || !strings.Contains(lines[len(lines)-1].Message, "and 7 more findings") {
			t.Fatalf("lines: %d findings, last %+v", len(lines), lines[len(lines)-1])
		}
		if n := len(lines[0].Message); n > store.MaxFindingMessage {
			t.Errorf("a 5000-byte message was recorded as %d bytes", n)
		}
	})
}

// TestInputOfTheEvaluationShown reads each evaluation's stored input back
// for the page: the document when stored, its size when it was too large
// to store, nothing for an evaluation without one, an error for a document
// that expands past ui.MaxInputShown or a corrupted row, and nothing
// across pull requests.
func TestInputOfTheEvaluationShown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		doc := []byte(`{"version": 1, "reviews": [{"author": {"login": "carol"}, "state": "APPROVED", "on_head": true}]}`)
		// Incompressible, so over store.MaxStoredInput once compressed.
		var noise strings.Builder
		for i := 0; noise.Len() < 2*store.MaxStoredInput; i++ {
			fmt.Fprintf(&noise, "%x", uint64(i)*0x9e3779b97f4a7c15)
		}
		// Compresses to a few KiB, and expands past what the page reads.
		bomb := []byte(strings.Repeat(" ", ui.MaxInputShown+1))
		evals := []struct {
			trigger string
			input   []byte
		}{{"stored", doc}, {"too-large", []byte(noise.String())}, {"none", nil}, {"bomb", bomb}, {"corrupt", doc}}
		err := db.InTx(ctx, func(tx store.Tx) error {
			for i, e := range evals {
				if err := store.RecordEvaluation(ctx, tx, store.Evaluation{At: t0.Add(time.Duration(i) * time.Minute), Repo: "acme/shop", Number: 42,
					HeadSHA: "h", Policy: "p", Trigger: e.trigger, Conclusion: "success", Rules: map[string]string{"a": "pass"}, Input: e.input, InputVersion: 1}); err != nil {
					return err
				}
			}
			if err := store.RecordEvaluation(ctx, tx, store.Evaluation{At: t0, Repo: "acme/vault", Number: 7,
				HeadSHA: "v", Policy: "p", Trigger: "other", Conclusion: "success", Rules: map[string]string{"a": "pass"}, Input: doc}); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE evaluations SET input = $1 WHERE trigger = 'corrupt'`, "bm90IGd6aXA=")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		r := uistore.New(db)
		ids := map[string]string{}
		for _, pr := range []struct {
			repo   string
			number int
		}{{"acme/shop", 42}, {"acme/vault", 7}} {
			p, err := r.PullRequest(ctx, pr.repo, pr.number)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Evaluations {
				if e.ID == "" {
					t.Fatalf("evaluation %s has no ID", e.Trigger)
				}
				ids[e.Trigger] = e.ID
			}
		}

		got, err := r.Input(ctx, "ACME/Shop", 42, ids["stored"])
		if err != nil || string(got.Document) != string(doc) || got.Size != int64(len(doc)) {
			t.Errorf("stored: %q, size %d, %v", got.Document, got.Size, err)
		}
		got, err = r.Input(ctx, "acme/shop", 42, ids["too-large"])
		if err != nil || got.Document != nil || got.Size != int64(noise.Len()) {
			t.Errorf("too large to store: %d bytes, size %d, %v", len(got.Document), got.Size, err)
		}
		got, err = r.Input(ctx, "acme/shop", 42, ids["none"])
		if err != nil || got.Document != nil || got.Size != 0 {
			t.Errorf("none stored: %d bytes, size %d, %v", len(got.Document), got.Size, err)
		}
		if _, err := r.Input(ctx, "acme/shop", 42, ids["bomb"]); !errors.Is(err, ui.ErrInputTooLarge) {
			t.Errorf("a document expanding past the bound: %v", err)
		}
		if _, err := r.Input(ctx, "acme/shop", 42, ids["corrupt"]); err == nil || errors.Is(err, ui.ErrInputTooLarge) || errors.Is(err, ui.ErrNotFound) {
			t.Errorf("a corrupted row: %v", err)
		}
		// Another pull request's evaluation is not this one's.
		if _, err := r.Input(ctx, "acme/shop", 42, ids["other"]); !errors.Is(err, ui.ErrNotFound) {
			t.Errorf("another pull request's evaluation: %v", err)
		}
		if _, err := r.Input(ctx, "acme/shop", 42, "no-such-id"); !errors.Is(err, ui.ErrNotFound) {
			t.Errorf("unknown evaluation: %v", err)
		}
	})
}
