package evaluator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
)

// failing is an engine whose one rule fails, whatever the input.
type failing struct{}

func (failing) Evaluate(ctx context.Context, input any, now time.Time, only ...string) ([]decision.RuleResult, error) {
	return []decision.RuleResult{{
		ID: "reviews", Title: "Reviews", Severity: decision.SeverityError,
		Denials: []decision.Finding{{Message: "needs an approval"}},
	}}, nil
}

func (failing) Digest() string { return "failing" }

// The head a verdict is about is the commit the evaluator read from GitHub
// and hands the judge, not whatever the input document says: overrides
// bind to it and the check run names it (or the merge group's commit).
func TestTheJudgeUsesTheHeadItIsGiven(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	in := facts.Build(facts.Sources{
		PullRequest: decision.PullRequestDetails{Number: 7, State: "open", Head: decision.Branch{SHA: strings.Repeat("d", 40)}},
		Now:         now,
	})
	head, mergeGroup := strings.Repeat("a", 40), strings.Repeat("b", 40)
	override := decision.Override{Rule: "reviews", By: "lena", Reason: "hotfix", At: now, HeadSHA: head}
	for _, tt := range []struct {
		name       string
		overrideOn string
		mergeGroup string
		blocked    bool
		shows      string
	}{
		{"an override for the head applies", head, "", false, head},
		{"an override for another commit does not", strings.Repeat("c", 40), "", true, head},
		{"a merge group's check names the group's commit", head, mergeGroup, false, mergeGroup},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := override
			o.HeadSHA = tt.overrideOn
			j, err := evaluator.Judge{
				Engine: failing{}, Mode: decision.Enforce, Policy: "test",
				Interventions: decision.Interventions{Overrides: []decision.Override{o}},
				HeadSHA:       head, MergeGroupSHA: tt.mergeGroup,
			}.Decide(context.Background(), in, now)
			if err != nil {
				t.Fatal(err)
			}
			if j.Verdict.Blocked != tt.blocked {
				t.Errorf("blocked = %v, want %v", j.Verdict.Blocked, tt.blocked)
			}
			short := decision.ShortSHA(tt.shows)
			if !strings.Contains(j.Output.Summary, short) || strings.Contains(j.Output.Summary, decision.ShortSHA(in.PullRequest.Head.SHA)) {
				t.Errorf("the summary should name %s, not the input's head:\n%s", short, j.Output.Summary)
			}
		})
	}
}
