package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/replay"
)

var reviewers = decision.RuleResult{
	ID: "required_reviewers", Title: "Required reviewers", Severity: decision.SeverityError,
	Remedy:  "Ask a teammate to approve.",
	Denials: []decision.Finding{{Message: "Needs 1 more approval from someone other than the author (@dev)."}},
}

var migration = decision.RuleResult{
	ID: "migration", Title: "Migration safety", Severity: decision.SeverityWarning, Remedy: "Use CONCURRENTLY.",
	Denials: []decision.Finding{{Message: "CREATE INDEX locks | writes", Location: &decision.Location{Path: "db/1.sql", StartLine: 2}}},
}

var passing = decision.RuleResult{ID: "freeze", Title: "Change freeze", Severity: decision.SeverityError}

func TestTitles(t *testing.T) {
	broken := decision.RuleResult{ID: "x", Title: "Custom", Severity: decision.SeverityError, Err: "boom"}
	tests := []struct {
		mode  decision.Mode
		rules []decision.RuleResult
		want  string
	}{
		{decision.Enforce, []decision.RuleResult{reviewers, passing}, "Blocked by Required reviewers"},
		{decision.Enforce, []decision.RuleResult{passing}, "Passed: 1 of 1 rule passed"},
		{decision.Enforce, []decision.RuleResult{passing, migration}, "Passed with 1 warning"},
		{decision.Enforce, []decision.RuleResult{broken}, "Blocked: Custom could not be evaluated"},
		{decision.Enforce, []decision.RuleResult{broken, reviewers}, "Blocked by Required reviewers; Custom could not be evaluated"},
		{decision.Report, []decision.RuleResult{reviewers}, "Report only — would be blocked by Required reviewers"},
		{decision.Enforce, nil, "Passed: no rules are configured"},
		{decision.Enforce, []decision.RuleResult{{ID: "s", Title: "S", Severity: decision.SeverityError, SkipReasons: []string{"n/a"}}}, "Passed: no rule applies to this pull request"},
	}
	for _, tt := range tests {
		if got := Title(decision.Decide(tt.mode, tt.rules)); got != tt.want {
			t.Errorf("title %q, want %q", got, tt.want)
		}
	}
}

func TestSummarySaysWhatToDoNext(t *testing.T) {
	v := decision.Decide(decision.Enforce, []decision.RuleResult{reviewers, migration, passing})
	out := CheckRun(v, Context{HeadSHA: "0123456789abcdef", PolicyDigest: "bundled@abc"})
	for _, want := range []string{
		"cannot merge yet",
		"| Required reviewers | ❌ failed | Needs 1 more approval",
		"**Next step:** Ask a teammate to approve.",
		`CREATE INDEX locks \| writes`, // a pipe must not break the table
		"`db/1.sql` line 2",
		"`0123456`",
		"bundled@abc",
	} {
		if !strings.Contains(out.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, out.Summary)
		}
	}
	if len(out.Annotations) != 1 || out.Annotations[0].Level != decision.LevelWarning {
		t.Errorf("annotations %+v", out.Annotations)
	}
}

func TestFooterNamesTheEvaluatedCommit(t *testing.T) {
	v := decision.Decide(decision.Enforce, []decision.RuleResult{passing})
	for _, tt := range []struct{ head, want string }{
		{"0123456789abcdef", "Evaluated `0123456` with policy"},
		{"", "Evaluated `(local)` with policy"}, // a working tree has no commit
	} {
		if out := CheckRun(v, Context{HeadSHA: tt.head, PolicyDigest: "bundled@abc"}); !strings.Contains(out.Summary, tt.want) {
			t.Errorf("head %q: summary lacks %q:\n%s", tt.head, tt.want, out.Summary)
		}
	}
}

func TestWarningsAloneGetNoNextStep(t *testing.T) {
	stale := decision.RuleResult{
		ID: "production_access", Title: "Production access", Severity: decision.SeverityError,
		Remedy:   "Ask a member of the team to approve.",
		Warnings: []decision.Finding{{Message: "Configuration: no team is set for production paths."}},
	}
	v := decision.Decide(decision.Enforce, []decision.RuleResult{stale})
	out := CheckRun(v, Context{HeadSHA: "0123456789abcdef"})
	if !strings.Contains(out.Summary, "no team is set") || strings.Contains(out.Summary, "Next step") {
		t.Errorf("a passing rule's warning must not tell the author to get an approval:\n%s", out.Summary)
	}
	var text bytes.Buffer
	if err := Text(&text, v, out); err != nil || !strings.Contains(text.String(), "no team is set") || strings.Contains(text.String(), "next step") {
		t.Errorf("text: %v\n%s", err, text.String())
	}
}

func TestAnnotationCapIsReported(t *testing.T) {
	r := decision.RuleResult{ID: "many", Title: "Many", Severity: decision.SeverityError, Remedy: "x"}
	for i := 1; i <= 250; i++ {
		r.Denials = append(r.Denials, decision.Finding{Message: "m", Location: &decision.Location{Path: "f", StartLine: i}})
	}
	out := CheckRun(decision.Decide(decision.Enforce, []decision.RuleResult{r}), Context{MaxAnnotations: 200})
	if len(out.Annotations) != 200 || out.OmittedAnnotations != 50 {
		t.Fatalf("%d annotations, %d omitted", len(out.Annotations), out.OmittedAnnotations)
	}
	if !strings.Contains(out.Summary, "50 more line annotations were left out") {
		t.Error("summary does not say annotations were left out")
	}
}

func TestSummaryStaysUnderGitHubsLimit(t *testing.T) {
	r := decision.RuleResult{ID: "huge", Title: "Huge", Severity: decision.SeverityError, Remedy: "x"}
	for i := 0; i < 3000; i++ {
		r.Denials = append(r.Denials, decision.Finding{Message: fmt.Sprintf("finding number %d with a long explanation ✓✓✓", i)})
	}
	out := CheckRun(decision.Decide(decision.Enforce, []decision.RuleResult{r}), Context{})
	if len(out.Summary) > maxSummaryBytes || !strings.Contains(out.Summary, "cut at GitHub's size limit") {
		t.Fatalf("summary is %d bytes", len(out.Summary))
	}
}

func TestText(t *testing.T) {
	v := decision.Decide(decision.Enforce, []decision.RuleResult{reviewers, migration, passing})
	out := CheckRun(v, Context{})
	var buf bytes.Buffer
	if err := Text(&buf, v, out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Blocked by Required reviewers", "conclusion: failure", "FAIL   required_reviewers", "next step: Ask a teammate", "db/1.sql:2  [warning]"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestSharedHeadShowsTheStrictestVerdict(t *testing.T) {
	pass := decision.Decide(decision.Enforce, []decision.RuleResult{passing})
	fail := decision.Decide(decision.Enforce, []decision.RuleResult{reviewers, migration})
	intoRelease := PRVerdict{Number: 13, Base: "release/2.4", Conclusion: pass.Conclusion, Output: CheckRun(pass, Context{})}
	intoMain := PRVerdict{Number: 12, Base: "main", Conclusion: fail.Conclusion, Output: CheckRun(fail, Context{})}

	if c, out := Shared([]PRVerdict{intoRelease}); c != decision.Success || out.Title != intoRelease.Output.Title {
		t.Fatalf("one pull request keeps its own verdict: %s %q", c, out.Title)
	}
	c, out := Shared([]PRVerdict{intoRelease, intoMain})
	if c != decision.Failure || out.Title != "#12 into main: Blocked by Required reviewers" {
		t.Fatalf("conclusion %s, title %q", c, out.Title)
	}
	for _, want := range []string{"head of 2 open pull requests", "## #12 into `main`: Blocked by Required reviewers", "## #13 into `release/2.4`: Passed"} {
		if !strings.Contains(out.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, out.Summary)
		}
	}
	if strings.Index(out.Summary, "#12") > strings.Index(out.Summary, "#13") {
		t.Error("the strictest verdict comes first")
	}
	if len(out.Annotations) != 1 {
		t.Errorf("annotations %+v", out.Annotations)
	}
}

func TestDetailsTablesGoInTheText(t *testing.T) {
	cov := decision.RuleResult{ID: "diff_coverage", Title: "Diff coverage", Severity: decision.SeverityError, Details: []decision.Table{{
		Title:   "Diff coverage by file",
		Columns: []string{"File", "Covered", "Not covered"},
		Rows:    [][]string{{"`pay/a|b.go`", "3 of 4", "12"}, {"`pay/c.go`", "1 of 1", ""}},
		Note:    "2 more files are not shown.",
	}}}
	v := decision.Decide(decision.Enforce, []decision.RuleResult{cov})
	out := CheckRun(v, Context{})
	want := "### Diff coverage by file\n\n| File | Covered | Not covered |\n| --- | --- | --- |\n| `pay/a\\|b.go` | 3 of 4 | 12 |\n| `pay/c.go` | 1 of 1 |  |\n\n2 more files are not shown.\n\n"
	if out.Text != want {
		t.Errorf("text:\n%q\nwant\n%q", out.Text, want)
	}
	var buf bytes.Buffer
	if err := Text(&buf, v, out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Diff coverage by file:\n  File        Covered  Not covered\n  pay/a|b.go  3 of 4   12\n  pay/c.go    1 of 1\n  2 more files are not shown.\n") {
		t.Errorf("terminal text:\n%s", buf.String())
	}

	// Shared heads keep each pull request's details.
	c, shared := Shared([]PRVerdict{{Number: 1, Base: "main", Conclusion: v.Conclusion, Output: out}, {Number: 2, Base: "dev", Conclusion: v.Conclusion, Output: out}})
	if c != decision.Success || strings.Count(shared.Text, "### Diff coverage by file") != 2 || !strings.Contains(shared.Text, "## #2 into `dev`") {
		t.Errorf("shared details:\n%s", shared.Text)
	}

	// Huge tables are cut at GitHub's limit, saying so.
	big := cov
	big.Details = []decision.Table{{Title: "Big", Columns: []string{"a"}}}
	for i := 0; i < 5000; i++ {
		big.Details[0].Rows = append(big.Details[0].Rows, []string{strings.Repeat("x", 20)})
	}
	out = CheckRun(decision.Decide(decision.Enforce, []decision.RuleResult{big}), Context{})
	if len(out.Text) > maxSummaryBytes || !strings.Contains(out.Text, "The details were cut at GitHub's size limit") {
		t.Errorf("details of %d bytes", len(out.Text))
	}
}

// A warn-only rule's remedy answers its warnings, in the check run and in
// the terminal; a rule that can deny keeps its remedy for denials.
func TestRemedyOfWarnOnlyRules(t *testing.T) {
	for _, tt := range []struct {
		name string
		rule decision.RuleResult
		want bool
	}{
		{"warn-only rule warning", decision.RuleResult{ID: "todo", Title: "TODO lines", Severity: decision.SeverityError, Remedy: "Remove the TODO.", WarnOnly: true, Warnings: []decision.Finding{{Message: "a TODO"}}}, true},
		{"denying rule warning", decision.RuleResult{ID: "rev", Title: "Reviews", Severity: decision.SeverityError, Remedy: "Remove the TODO.", Warnings: []decision.Finding{{Message: "stale approval"}}}, false},
		{"denying rule denial", decision.RuleResult{ID: "rev", Title: "Reviews", Severity: decision.SeverityError, Remedy: "Remove the TODO.", Denials: []decision.Finding{{Message: "no approval"}}}, true},
		{"warn-only rule passing", decision.RuleResult{ID: "todo", Title: "TODO lines", Severity: decision.SeverityError, Remedy: "Remove the TODO.", WarnOnly: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := decision.Decide(decision.Enforce, []decision.RuleResult{tt.rule})
			out := CheckRun(v, Context{HeadSHA: "0123456789abcdef"})
			var text bytes.Buffer
			if err := Text(&text, v, out); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(out.Summary, "**Next step:** Remove the TODO."); got != tt.want {
				t.Errorf("check run shows the remedy: %v, want %v\n%s", got, tt.want, out.Summary)
			}
			if got := strings.Contains(text.String(), "next step: Remove the TODO."); got != tt.want {
				t.Errorf("text shows the remedy: %v, want %v\n%s", got, tt.want, text.String())
			}
		})
	}
}

// The replay section on a policy pull request names and links only
// repositories the author can read, asks GitHub once per repository, and
// never quotes a rule's messages.
func TestReplaySectionLeaksNothing(t *testing.T) {
	var changes []replay.Change
	for i := range 40 {
		repo := "acme/shop"
		if i%3 == 0 {
			repo = "acme/secret"
		}
		changes = append(changes, replay.Change{Repo: repo, Number: i + 1, Blocking: []string{"required_reviewers"}, Messages: []string{"secret plans in acme/secret"}})
	}
	asked := map[string]int{}
	md := Replay(ReplaySection{
		Report: replay.Report{Inputs: 50, NewlyBlocked: changes, Unchanged: 10,
			Rules: []replay.RuleCount{{Rule: "required_reviewers", NewlyBlocking: 40}},
			Repos: []replay.RepoCount{{Repo: "acme/secret", NewlyBlocked: 14}, {Repo: "acme/shop", NewlyBlocked: 26}}},
		Days: 14, Max: 500, Missing: 2,
		Linkable: func(repo string) bool { asked[repo]++; return repo != "acme/secret" },
		WebURL:   "https://github.com/",
	})
	for _, want := range []string{
		"latest evaluation of 50 pull requests evaluated in the last 14 days (at most 500)",
		"**Would newly block 40 pull requests and unblock 0.**",
		"2 evaluated pull requests have no stored input and were not replayed.",
		"| `required_reviewers` | 40 | 0 | 0 |",
		"| acme/shop | 26 | 0 |",
		"| 1 other repository, not named | 14 | 0 |",
		"[acme/shop#2](https://github.com/acme/shop/pull/2)",
		"[acme/shop#30](https://github.com/acme/shop/pull/30) and 10 more (10 in repositories you cannot read, not linked).",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the section lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "secret plans") || strings.Contains(md, "acme/secret") {
		t.Errorf("the section leaks a message, a link or the name of acme/secret:\n%s", md)
	}
	if asked["acme/shop"] != 1 || asked["acme/secret"] != 1 {
		t.Errorf("readability asked %v times; want once per repository", asked)
	}
	if !strings.Contains(Replay(ReplaySection{Skipped: "Not replayed: no access."}), "Not replayed: no access.") {
		t.Error("a skipped replay does not say why")
	}
}
