package decision

import (
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	failing := RuleResult{ID: "b", Severity: SeverityError, Denials: []Finding{{Message: "no"}}}
	warnSeverityDenial := RuleResult{ID: "c", Severity: SeverityWarning, Denials: []Finding{{Message: "hm"}}}
	passing := RuleResult{ID: "a", Severity: SeverityError}
	broken := RuleResult{ID: "d", Severity: SeverityError, Err: "conflicting values"}
	skipped := RuleResult{ID: "e", Severity: SeverityError, SkipReasons: []string{"no migrations"}}

	tests := []struct {
		name       string
		mode       Mode
		rules      []RuleResult
		blocked    bool
		conclusion Conclusion
		order      []string
	}{
		{"all pass", Enforce, []RuleResult{passing}, false, Success, []string{"a"}},
		{"no rules", Enforce, nil, false, Success, nil},
		{"a failure blocks", Enforce, []RuleResult{passing, failing}, true, Failure, []string{"b", "a"}},
		{"warning severity does not block", Enforce, []RuleResult{warnSeverityDenial, passing}, false, Success, []string{"c", "a"}},
		{"a broken rule blocks", Enforce, []RuleResult{passing, broken}, true, Failure, []string{"d", "a"}},
		{"report mode is neutral but still says blocked", Report, []RuleResult{failing}, true, Neutral, []string{"b"}},
		{"skipped rules sort last", Enforce, []RuleResult{skipped, warnSeverityDenial, passing}, false, Success, []string{"c", "a", "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Decide(tt.mode, tt.rules)
			if v.Blocked != tt.blocked || v.Conclusion != tt.conclusion {
				t.Fatalf("blocked=%v conclusion=%s, want %v %s", v.Blocked, v.Conclusion, tt.blocked, tt.conclusion)
			}
			var order []string
			for _, r := range v.Rules {
				order = append(order, r.ID)
			}
			if len(order) != len(tt.order) {
				t.Fatalf("order %v, want %v", order, tt.order)
			}
			for i := range order {
				if order[i] != tt.order[i] {
					t.Fatalf("order %v, want %v", order, tt.order)
				}
			}
		})
	}
}

func TestConcludeOutcomes(t *testing.T) {
	tests := []struct {
		r    RuleResult
		want Outcome
	}{
		{RuleResult{Severity: SeverityError}, Pass},
		{RuleResult{Severity: SeverityError, Denials: []Finding{{}}}, Fail},
		{RuleResult{Severity: SeverityWarning, Denials: []Finding{{}}}, Warn},
		{RuleResult{Severity: SeverityError, Warnings: []Finding{{}}}, Warn},
		{RuleResult{Severity: SeverityError, SkipReasons: []string{"x"}}, Skip},
		// A denial wins over a skip: a rule cannot both object and not apply.
		{RuleResult{Severity: SeverityError, SkipReasons: []string{"x"}, Denials: []Finding{{}}}, Fail},
		{RuleResult{Severity: SeverityError, Err: "boom", Denials: []Finding{{}}}, Error},
	}
	for _, tt := range tests {
		if got := tt.r.Conclude().Outcome; got != tt.want {
			t.Errorf("%+v: outcome %s, want %s", tt.r, got, tt.want)
		}
	}
}

func TestAnnotations(t *testing.T) {
	v := Decide(Enforce, []RuleResult{
		{ID: "warny", Title: "Warny", Severity: SeverityError, Warnings: []Finding{
			{Message: "w", Location: &Location{Path: "a.go", StartLine: 3}},
		}},
		{ID: "strict", Title: "Strict", Severity: SeverityError, Denials: []Finding{
			{Message: "no line", Location: &Location{Path: "b.go"}},
			{Message: "range", Location: &Location{Path: "b.go", StartLine: 7, EndLine: 9}},
			{Message: "no location"},
		}},
		{ID: "soft", Title: "Soft", Severity: SeverityWarning, Denials: []Finding{
			{Message: "soft denial", Location: &Location{Path: "c.go", StartLine: 1}},
		}},
	})
	got := v.Annotations()
	if len(got) != 3 {
		t.Fatalf("got %d annotations, want 3: %+v", len(got), got)
	}
	first := got[0]
	if first.Level != LevelFailure || first.Path != "b.go" || first.StartLine != 7 || first.EndLine != 9 || first.Title != "Strict" {
		t.Errorf("first annotation %+v, want the failure on b.go:7-9", first)
	}
	for _, a := range got[1:] {
		if a.Level != LevelWarning {
			t.Errorf("annotation %+v should be a warning", a)
		}
		if a.EndLine != a.StartLine {
			t.Errorf("single-line annotation %+v should end where it starts", a)
		}
	}
}

func TestReviewRequestsGatherEachReviewerOnce(t *testing.T) {
	v := Verdict{Rules: []RuleResult{
		{ID: "a", RequestReviewers: &ReviewRequest{Users: []string{"Bo", "ana"}, Teams: []string{"acme/payments"}}},
		{ID: "b"},
		{ID: "c", RequestReviewers: &ReviewRequest{Users: []string{"bo"}, Teams: []string{"acme/Payments", "acme/sre"}}},
	}}
	got := v.ReviewRequests()
	if got == nil || len(got.Users) != 2 || len(got.Teams) != 2 || got.Teams[1] != "acme/sre" || !strings.EqualFold(got.Users[1], "bo") {
		t.Errorf("requests %+v", got)
	}
	if (Verdict{Rules: []RuleResult{{ID: "b"}}}).ReviewRequests() != nil {
		t.Error("no rule asks: want nil")
	}
}
