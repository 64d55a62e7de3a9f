package decision

import (
	"testing"
	"time"
)

func TestDecideWithInterventions(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	failing := RuleResult{ID: "required_reviewers", Title: "Required reviewers", Severity: SeverityError, Denials: []Finding{{Message: "Needs 1 more approval."}}}
	broken := RuleResult{ID: "custom", Title: "Custom", Severity: SeverityError, Err: "undefined function"}
	passing := RuleResult{ID: "diff_coverage", Title: "Diff coverage", Severity: SeverityError}
	override := func(rule, sha string, keep bool) Override {
		return Override{Rule: rule, By: "lead", Reason: "hotfix", At: at, HeadSHA: sha, KeepOnPush: keep}
	}
	tests := []struct {
		name       string
		iv         Interventions
		head       string
		want       Conclusion
		outcomes   map[string]Outcome
		holdResult bool
	}{
		{"nothing", Interventions{}, "aaa", Failure, map[string]Outcome{"required_reviewers": Fail, "custom": Error}, false},
		{"one of two failing rules overridden", Interventions{Overrides: []Override{override("required_reviewers", "aaa", false)}}, "aaa",
			Failure, map[string]Outcome{"required_reviewers": Overridden, "custom": Error}, false},
		{"both overridden", Interventions{Overrides: []Override{override("required_reviewers", "aaa", false), override("custom", "aaa", false)}}, "aaa",
			Success, map[string]Outcome{"required_reviewers": Overridden, "custom": Overridden, "diff_coverage": Pass}, false},
		{"an override for another commit does not apply", Interventions{Overrides: []Override{override("required_reviewers", "old", false), override("custom", "aaa", false)}}, "aaa",
			Failure, map[string]Outcome{"required_reviewers": Fail}, false},
		{"kept across pushes", Interventions{Overrides: []Override{override("required_reviewers", "old", true), override("custom", "aaa", false)}}, "aaa",
			Success, map[string]Outcome{"required_reviewers": Overridden}, false},
		{"an override of a passing rule changes nothing", Interventions{Overrides: []Override{override("diff_coverage", "aaa", false)}}, "aaa",
			Failure, map[string]Outcome{"diff_coverage": Pass}, false},
		{"a hold blocks even when everything is overridden", Interventions{
			Overrides: []Override{override("required_reviewers", "aaa", false), override("custom", "aaa", false)},
			Holds:     []Hold{{By: "sre", Reason: "wait for the incident", At: at}}}, "aaa",
			Failure, map[string]Outcome{HoldRuleID: Fail}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := DecideWith(Enforce, []RuleResult{failing, broken, passing}, tt.iv.Applicable(tt.head))
			if v.Conclusion != tt.want {
				t.Errorf("conclusion = %s, want %s", v.Conclusion, tt.want)
			}
			got := map[string]Outcome{}
			for _, r := range v.Rules {
				got[r.ID] = r.Outcome
			}
			for id, want := range tt.outcomes {
				if got[id] != want {
					t.Errorf("%s: outcome %s, want %s", id, got[id], want)
				}
			}
			if _, held := got[HoldRuleID]; held != tt.holdResult {
				t.Errorf("hold result present = %v, want %v", held, tt.holdResult)
			}
		})
	}
}

func TestAnOverriddenRulesFindingsAreWarningAnnotations(t *testing.T) {
	r := RuleResult{ID: "migration_safety", Title: "Migration safety", Severity: SeverityError,
		Denials: []Finding{{Message: "CREATE INDEX", Location: &Location{Path: "db/1.sql", StartLine: 3}}}}
	v := DecideWith(Enforce, []RuleResult{r}, Interventions{Overrides: []Override{{Rule: "migration_safety", By: "dba", HeadSHA: "h"}}})
	as := v.Annotations()
	if len(as) != 1 || as[0].Level != LevelWarning {
		t.Fatalf("annotations = %+v, want one warning", as)
	}
}
