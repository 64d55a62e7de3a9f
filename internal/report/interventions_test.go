package report

import (
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

func TestOverridesAndHoldsAreListedWithWhoWhenAndWhy(t *testing.T) {
	at := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	failing := decision.RuleResult{ID: "change_freeze", Title: "Change freeze", Severity: decision.SeverityError,
		Denials: []decision.Finding{{Message: "Merges are frozen."}}}
	v := decision.DecideWith(decision.Enforce, []decision.RuleResult{failing}, decision.Interventions{
		Overrides: []decision.Override{{Rule: "change_freeze", By: "olga", Reason: "fixes INC-42 ``see`` @everyone [x](http://evil)", At: at, HeadSHA: "abcdef0123"}},
		Holds:     []decision.Hold{{By: "sam", At: at}},
	})
	out := CheckRun(v, Context{HeadSHA: "abcdef0123", PolicyDigest: "bundled"})
	for _, want := range []string{
		"### Overrides and holds",
		"**Override** of `change_freeze` by @olga on 2026-11-22 09:30 UTC (for abcdef0): ``` fixes INC-42 ``see`` @everyone [x](http://evil) ```",
		"**Hold** by @sam since 2026-11-22 09:30 UTC: no reason given. `/guard unhold` releases it.",
		"Overridden by @olga for this commit",
		"| Change freeze | 🔓 overridden |",
	} {
		if !strings.Contains(out.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, out.Summary)
		}
	}
	if out.Title != "Blocked by Hold" {
		t.Errorf("title = %q", out.Title)
	}
}

func TestCodeSpan(t *testing.T) {
	tests := map[string]string{
		"plain":          "` plain `",
		"a `tick`":       "`` a `tick` ``",
		"two\nlines":     "` two lines `",
		"@here **bold**": "` @here **bold** `",
	}
	for in, want := range tests {
		if got := codeSpan(in); got != want {
			t.Errorf("codeSpan(%q) = %q, want %q", in, got, want)
		}
	}
}
