package policy

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

const header = `# METADATA
# title: Example
# custom:
#   severity: error
#   remedy: Fix it.
package mergeguard.rules.example
`

func compile(t *testing.T, src string, opts Options) (*Engine, error) {
	t.Helper()
	p, err := Compile(context.Background(), []Module{{Path: "example.rego", Source: []byte(src)}}, opts)
	if err != nil {
		return nil, err
	}
	return p.DefaultEngine(context.Background())
}

func mustCompile(t *testing.T, src string) *Engine {
	t.Helper()
	e, err := compile(t, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEvaluateFindings(t *testing.T) {
	e := mustCompile(t, header+`
deny contains {"msg": "bad line", "path": "a.go", "line": 3, "end_line": 4} if input.bad
deny contains "plain message" if input.bad
warn contains {"msg": "just so you know"} if true
skip contains "not applicable" if input.skip
`)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res, err := e.Evaluate(context.Background(), map[string]any{"bad": true, "skip": false}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	r := res[0].Conclude()
	if r.ID != "example" || r.Title != "Example" || r.Remedy != "Fix it." || r.Outcome != decision.Fail {
		t.Fatalf("result %+v", r)
	}
	if len(r.Denials) != 2 || r.Denials[0].Location != nil || r.Denials[1].Location.StartLine != 3 || r.Denials[1].Location.EndLine != 4 {
		t.Fatalf("denials %+v", r.Denials)
	}
	if len(r.Warnings) != 1 {
		t.Fatalf("warnings %+v", r.Warnings)
	}
}

// Findings whose objects differ only in keys the engine does not read are
// shown once: a rule may deny objects that carry its own bookkeeping.
func TestFindingsThatDifferOnlyInOtherKeysAreShownOnce(t *testing.T) {
	e := mustCompile(t, header+`
deny contains {"msg": "same", "path": "a.sql", "line": 2, "end_line": 2, "i": i} if some i in [1, 2]
deny contains {"msg": "same", "path": "a.sql", "line": 2, "end_line": 3} if true
deny contains {"msg": "same", "check": c} if some c in ["x", "y"]
warn contains {"msg": "note", "path": "a.sql", "line": 5, "k": k} if some k in [1, 2, 3]
`)
	res, err := e.Evaluate(context.Background(), map[string]any{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := res[0].Conclude()
	if r.Err != "" {
		t.Fatal(r.Err)
	}
	// Three denials: without a place, on line 2, and on lines 2-3.
	if len(r.Denials) != 3 || r.Denials[0].Location != nil ||
		r.Denials[1].Location.EndLine != 2 || r.Denials[2].Location.EndLine != 3 {
		t.Fatalf("denials %+v", r.Denials)
	}
	if len(r.Warnings) != 1 {
		t.Fatalf("warnings %+v", r.Warnings)
	}
}

func TestEvaluateReportsMalformedFindingsInsteadOfDroppingThem(t *testing.T) {
	for name, body := range map[string]string{
		"missing msg":       `deny contains {"path": "a.go"} if true`,
		"line without path": `deny contains {"msg": "x", "line": 2} if true`,
		"line is a string":  `deny contains {"msg": "x", "path": "a", "line": "2"} if true`,
		"number finding":    `deny contains 42 if true`,
		"empty skip reason": `skip contains "" if true` + "\n" + `deny contains "x" if false`,
	} {
		t.Run(name, func(t *testing.T) {
			e := mustCompile(t, header+body)
			res, err := e.Evaluate(context.Background(), map[string]any{}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if r := res[0].Conclude(); r.Outcome != decision.Error || !strings.Contains(r.Err, "malformed") {
				t.Fatalf("want an error outcome naming the malformed entry, got %+v", r)
			}
		})
	}
}

func TestCompileProblems(t *testing.T) {
	tests := []struct {
		name, src, want string
		line            int
	}{
		{"syntax error", header + "deny contains msg if {\n", "example.rego", 8},
		{"network access", header + `deny contains x if { x := http.send({"method": "get", "url": "http://example.com"}) }`, "policies cannot reach the network", 7},
		{"clock", header + `deny contains "late" if time.now_ns() > 0`, "rules read input.time", 7},
		{"no metadata", "package mergeguard.rules.example\ndeny contains \"x\" if true", "add a METADATA block", 0},
		{"no remedy", "# METADATA\n# title: T\npackage mergeguard.rules.example\ndeny contains \"x\" if true", "custom.remedy", 0},
		{"bad severity", strings.Replace(header, "severity: error", "severity: fatal", 1) + `deny contains "x" if true`, "use \"error\"", 0},
		{"no deny or warn", header + "allow := true", "neither deny nor warn", 0},
		{"nested package", strings.Replace(header, "rules.example", "rules.team.example", 1) + `deny contains "x" if true`, "name rule packages mergeguard.rules.<id>", 0},
		{"rego v0 syntax", header + "deny[msg] { msg := \"x\" }", "example.rego", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compile(t, tt.src, Options{})
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("want a CompileError, got %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
			if tt.line > 0 && (ce.Problems[0].Line != tt.line || ce.Problems[0].File != "example.rego") {
				t.Fatalf("problem at %s:%d, want example.rego:%d", ce.Problems[0].File, ce.Problems[0].Line, tt.line)
			}
		})
	}
}

func TestRuntimeErrorIsolatedToItsRule(t *testing.T) {
	broken := `# METADATA
# title: Broken
# custom:
#   remedy: Fix it.
package mergeguard.rules.broken

x := 1 if input.a
x := 2 if input.b
deny contains "never" if x == 3
`
	fine := `# METADATA
# title: Fine
# custom:
#   remedy: Nothing to do.
package mergeguard.rules.fine

deny contains "denied" if input.a
`
	p, err := Compile(context.Background(), []Module{{Path: "broken.rego", Source: []byte(broken)}, {Path: "fine.rego", Source: []byte(fine)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.DefaultEngine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Evaluate(context.Background(), map[string]any{"a": true, "b": true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	v := decision.Decide(decision.Enforce, res)
	if v.Rules[0].ID != "broken" || v.Rules[0].Outcome != decision.Error || !strings.Contains(v.Rules[0].Err, "broken.rego:7") {
		t.Fatalf("broken rule result %+v", v.Rules[0])
	}
	if v.Rules[1].ID != "fine" || v.Rules[1].Outcome != decision.Fail {
		t.Fatalf("the other rule must still report: %+v", v.Rules[1])
	}
}

func TestEvaluationIsCutAtTheTimeLimit(t *testing.T) {
	e, err := compile(t, header+`
deny contains "slow" if {
	some a in numbers.range(1, 100000)
	some b in numbers.range(1, 100000)
	a * b == -1
}`, Options{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Evaluate(context.Background(), map[string]any{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0].Conclude(); r.Outcome != decision.Error || !strings.Contains(r.Err, "time limit") || !strings.HasPrefix(r.Err, "example.rego: ") {
		t.Fatalf("want a time-limit error naming the file, got %+v", r)
	}
}

func TestSlowRulesShareOneOverallBudget(t *testing.T) {
	var mods []Module
	for _, id := range []string{"a", "b", "c"} {
		mods = append(mods, Module{Path: id + ".rego", Source: []byte(strings.NewReplacer("example", id).Replace(header) + `
deny contains "slow" if {
	some a in numbers.range(1, 100000)
	some b in numbers.range(1, 100000)
	a * b == -1
}`)})
	}
	p, err := Compile(context.Background(), mods, Options{Timeout: 200 * time.Millisecond, Budget: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.DefaultEngine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Evaluate(context.Background(), map[string]any{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][2]string{
		{"a.rego: ", "did not finish within the 200ms time limit"},
		{"b.rego: ", "left of the 300ms that one evaluation of all rules may take"},
		{"c.rego: ", "not evaluated: the rules before it used up the 300ms"},
	} {
		if r := res[i].Conclude(); r.Outcome != decision.Error || !strings.HasPrefix(r.Err, want[0]) || !strings.Contains(r.Err, want[1]) {
			t.Errorf("rule %s: %q, want %q…%q", res[i].ID, r.Err, want[0], want[1])
		}
	}

	// The fallback evaluates just the rules it is asked for.
	only, err := e.Evaluate(context.Background(), map[string]any{}, time.Now(), "c")
	if err != nil || len(only) != 1 || only[0].ID != "c" {
		t.Fatalf("only c: %+v %v", only, err)
	}
}

func TestDigestChangesWithContent(t *testing.T) {
	a := Digest([]Module{{Path: "x.rego", Source: []byte("a")}})
	b := Digest([]Module{{Path: "x.rego", Source: []byte("b")}})
	if a == b || len(a) != 12 {
		t.Fatalf("digests %q %q", a, b)
	}
}

func TestRecheckAtIsTheEarliestFutureInstant(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		set  string
		want string
		err  string
	}{
		{`{1795878000000000000, 1795791600000000000}`, "2026-11-27T15:00:00Z", ""}, // ns
		{`{"2026-11-27T11:00:00Z", "2026-11-28T09:30:00+01:00"}`, "2026-11-28T08:30:00Z", ""},
		{`{1000}`, "", ""}, // only past instants: nothing to schedule
		{`{"soon"}`, "", "recheck_at entry \"soon\""},
	}
	for _, tt := range tests {
		e := mustCompile(t, header+"\ndeny := set()\n\nrecheck_at := "+tt.set+"\n")
		res, err := e.Evaluate(context.Background(), map[string]any{}, now)
		if err != nil {
			t.Fatal(err)
		}
		r := res[0]
		switch {
		case tt.err != "":
			if !strings.Contains(r.Err, tt.err) {
				t.Errorf("%s: error %q, want %q", tt.set, r.Err, tt.err)
			}
		case tt.want == "" && r.RecheckAt != nil:
			t.Errorf("%s: recheck at %v, want none", tt.set, r.RecheckAt)
		case tt.want != "" && (r.RecheckAt == nil || r.RecheckAt.Format(time.RFC3339) != tt.want):
			t.Errorf("%s: recheck at %v, want %s", tt.set, r.RecheckAt, tt.want)
		}
	}
}

func TestRequestReviewersAreUsersAndTeams(t *testing.T) {
	tests := []struct {
		set  string
		want *decision.ReviewRequest
		err  string
	}{
		{`{"@acme/payments", "@bo", "@ana"}`, &decision.ReviewRequest{Users: []string{"ana", "bo"}, Teams: []string{"acme/payments"}}, ""},
		{`set()`, nil, ""},
		{`{"bo"}`, nil, `request_reviewers entry "bo"`},
		{`{"@acme/"}`, nil, `request_reviewers entry "@acme/"`},
		{`{"@a/b/c"}`, nil, `request_reviewers entry "@a/b/c"`},
		{`{1}`, nil, "request_reviewers entry 1"},
		{`{"users": ["bo"]}`, nil, "request_reviewers must be a set"},
	}
	for _, tt := range tests {
		e := mustCompile(t, header+"\ndeny := set()\n\nrequest_reviewers := "+tt.set+"\n")
		res, err := e.Evaluate(context.Background(), map[string]any{}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r := res[0]
		if tt.err != "" {
			if !strings.Contains(r.Err, tt.err) {
				t.Errorf("%s: error %q, want %q", tt.set, r.Err, tt.err)
			}
			continue
		}
		if r.Err != "" || !reflect.DeepEqual(r.RequestReviewers, tt.want) {
			t.Errorf("%s: %+v (error %q), want %+v", tt.set, r.RequestReviewers, r.Err, tt.want)
		}
	}
}

func TestDetailsAreTablesOrAnError(t *testing.T) {
	tests := []struct {
		set  string
		want []decision.Table
		err  string
	}{
		{`{{"title": "By file", "columns": ["File", "Lines"], "rows": [["a.go", 3], ["b.go", "1 of 2"]], "note": "All files."}}`,
			[]decision.Table{{Title: "By file", Columns: []string{"File", "Lines"}, Rows: [][]string{{"a.go", "3"}, {"b.go", "1 of 2"}}, Note: "All files."}}, ""},
		{`{{"title": "Empty", "columns": ["a"], "rows": []}}`, []decision.Table{{Title: "Empty", Columns: []string{"a"}}}, ""},
		{`{{"title": "T", "columns": ["a", "b"], "rows": [["x"]]}}`, nil, "row 1 must be an array of 2 cells, one per column"},
		{`{{"columns": ["a"], "rows": []}}`, nil, "title must be a non-empty string"},
		{`{{"title": "T", "columns": [], "rows": []}}`, nil, "columns must be a non-empty array of strings"},
		{`{{"title": "T", "columns": ["a"], "rows": [[{"x": 1}]]}}`, nil, "row 1 cell 1 must be a string or a number, got an object"},
		{`{"just text"}`, nil, "a table is an object {title, columns, rows, note}, got a string"},
	}
	for _, tt := range tests {
		e := mustCompile(t, header+"\ndeny := set()\n\ndetails := "+tt.set+"\n")
		res, err := e.Evaluate(context.Background(), map[string]any{}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r := res[0]
		if tt.err != "" {
			if !strings.Contains(r.Err, tt.err) || r.Details != nil {
				t.Errorf("%s: error %q, details %v; want error %q", tt.set, r.Err, r.Details, tt.err)
			}
			continue
		}
		if r.Err != "" || !reflect.DeepEqual(r.Details, tt.want) {
			t.Errorf("%s: %v %q, want %v", tt.set, r.Details, r.Err, tt.want)
		}
	}
}
