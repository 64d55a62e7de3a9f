package facts_test

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/coverage"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/policy"
	"github.com/mergeguard/mergeguard/policies"
)

func added(path, status string, lines ...int) facts.File {
	f := facts.File{Path: path, Status: status}
	for _, l := range lines {
		f.AddedLines = append(f.AddedLines, facts.Line{Line: l, Text: "x"})
	}
	return f
}

// The pull request below, against the report below, worked out by hand:
//
//	pay/charge.go   added 10-15; report measures 10, 11, 12, 14 (13 and
//	                15 are blank or comments); 10, 11, 14 ran → 3 of 4
//	pay/refund.go   renamed from pay/return.go, added 3-4; both measured,
//	                neither ran → 0 of 2
//	pay/old.go      deleted → not counted
//	pay/new.go      not in the report → not measured (and flagged)
//	docs/pay.md     no coverable lines
//
// Total: 3 of 6 measured added lines covered = 50%.
var (
	files = []facts.File{
		added("pay/charge.go", "modified", 10, 11, 12, 13, 14, 15),
		{Path: "pay/refund.go", PreviousPath: "pay/return.go", Status: "renamed", AddedLines: []facts.Line{{Line: 3}, {Line: 4}}},
		{Path: "pay/old.go", Status: "removed"},
		added("pay/new.go", "added", 1, 2, 3),
		added("docs/pay.md", "modified", 1),
	}
	report = coverage.Report{Files: map[string]map[int]int{
		"pay/charge.go": {1: 1, 10: 2, 11: 1, 12: 0, 14: 5, 20: 0},
		"pay/refund.go": {3: 0, 4: 0},
		"pay/old.go":    {1: 1},
	}}
)

func TestLinesJoinsAddedLinesWithTheReport(t *testing.T) {
	got := facts.CoverageFromReport(files, report)
	want := map[string]facts.CoverageFile{
		"pay/charge.go": {InReport: true, ReportPath: "pay/charge.go", Measured: []int{10, 11, 12, 14}, Covered: []int{10, 11, 14}},
		"pay/refund.go": {InReport: true, ReportPath: "pay/refund.go", Measured: []int{3, 4}, Covered: []int{}},
		"pay/new.go":    {Measured: []int{}, Covered: []int{}},
		"docs/pay.md":   {Measured: []int{}, Covered: []int{}},
	}
	if len(got) != len(want) {
		t.Fatalf("files %v", got)
	}
	for path, w := range want {
		g := got[path]
		if g.InReport != w.InReport || g.ReportPath != w.ReportPath || !slices.Equal(g.Measured, w.Measured) || !slices.Equal(g.Covered, w.Covered) {
			t.Errorf("%s: %+v, want %+v", path, g, w)
		}
	}
}

// TestThePercentageTheCheckShows runs the bundled rule on the joined facts:
// the number a reader sees is the hand-worked 50%.
func TestThePercentageTheCheckShows(t *testing.T) {
	r := judgeDiffCoverage(t, files, facts.CoverageFromReport(files, report))
	if r.Outcome != decision.Fail || len(r.Denials) != 1 || !strings.HasPrefix(r.Denials[0].Message, "Diff coverage is 50% (3 of 6 measured added lines covered), below the 80% target.") {
		t.Fatalf("diff_coverage: %+v", r)
	}
	var ranges []string
	for _, w := range r.Warnings {
		if w.Location != nil {
			ranges = append(ranges, w.Location.Path+":"+strconv.Itoa(w.Location.StartLine)+"-"+strconv.Itoa(w.Location.EndLine))
		}
	}
	slices.Sort(ranges)
	// charge.go line 12 alone; refund.go 3-4 as one range; new.go flagged
	// as absent from the report (no line).
	if !slices.Equal(ranges, []string{"pay/charge.go:12-12", "pay/new.go:0-0", "pay/refund.go:3-4"}) {
		t.Fatalf("annotations %v", ranges)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	s, err := coverage.Encode(report)
	if err != nil {
		t.Fatal(err)
	}
	back, err := coverage.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	for path, lines := range report.Files {
		for l, h := range lines {
			if back.Files[path][l] != h {
				t.Fatalf("%s:%d: %d, want %d", path, l, back.Files[path][l], h)
			}
		}
	}
	if _, err := coverage.Decode("not base64!"); err == nil {
		t.Fatal("garbage must not decode")
	}
}

// A report with branches, joined with the pull request and judged by the
// bundled rule, worked out by hand:
//
//	api/handler.go  added 20-26; the report measures 20-25 (26 is a brace);
//	                20 has 2 branches, both taken; 21 has 2, one taken
//	                (partial); 23 has 4, one taken (partial); 24 has 2, none
//	                taken, and never ran (missed, not partial); 25 missed
//	api/routes.go   added 3-4, both ran; 4 has 3 branches, 2 taken (partial)
//
// 8 measured, 6 ran, 3 of them partly. Partial lines count as covered by
// default: 6 of 8 = 75%, below 80%; per file 4 of 6 (66.6%) and 2 of 2.
func TestPartialLinesFromTheReportToTheCheck(t *testing.T) {
	prFiles := []facts.File{added("api/handler.go", "modified", 20, 21, 22, 23, 24, 25, 26), added("api/routes.go", "modified", 3, 4)}
	r := coverage.Report{
		Files: map[string]map[int]int{
			"api/handler.go": {20: 3, 21: 3, 22: 2, 23: 1, 24: 0, 25: 0},
			"api/routes.go":  {3: 1, 4: 1},
		},
		Branches: map[string]map[int]coverage.Branches{
			"api/handler.go": {20: {Total: 2, Taken: 2}, 21: {Total: 2, Taken: 1, Which: 1, Named: true}, 23: {Total: 4, Taken: 1}, 24: {Total: 2}},
			"api/routes.go":  {4: {Total: 3, Taken: 2}},
		},
	}
	got := facts.CoverageFromReport(prFiles, r)
	handler := got["api/handler.go"]
	if !slices.Equal(handler.Measured, []int{20, 21, 22, 23, 24, 25}) || !slices.Equal(handler.Covered, []int{20, 21, 22, 23}) || !slices.Equal(handler.Partial, []int{21, 23}) {
		t.Fatalf("handler.go: %+v", handler)
	}
	wantBranches := []facts.LineBranches{{Line: 20, Total: 2, Taken: 2}, {Line: 21, Total: 2, Taken: 1}, {Line: 23, Total: 4, Taken: 1}, {Line: 24, Total: 2, Taken: 0}}
	if !slices.Equal(handler.Branches, wantBranches) {
		t.Fatalf("handler.go branches: %+v", handler.Branches)
	}
	if routes := got["api/routes.go"]; !slices.Equal(routes.Partial, []int{4}) {
		t.Fatalf("routes.go: %+v", routes)
	}

	res := judgeDiffCoverage(t, prFiles, got)
	if res.Outcome != decision.Fail || len(res.Denials) != 1 || res.Denials[0].Message != "Diff coverage is 75% (6 of 8 measured added lines covered, 3 of them partly; a partly covered line counts as covered), below the 80% target. Least covered: `api/handler.go` 4/6." {
		t.Fatalf("diff_coverage: %+v", res)
	}
	var notes []string
	for _, w := range res.Warnings {
		if w.Location != nil {
			notes = append(notes, w.Location.Path+":"+strconv.Itoa(w.Location.StartLine)+" "+w.Message)
		}
	}
	slices.Sort(notes)
	if !slices.Equal(notes, []string{
		"api/handler.go:21 Line 21 is partly covered: 1 of 2 branches taken.",
		"api/handler.go:23 Line 23 is partly covered: 1 of 4 branches taken.",
		"api/handler.go:24 Lines 24–25 are not covered by tests.",
		"api/routes.go:4 Line 4 is partly covered: 2 of 3 branches taken.",
	}) {
		t.Fatalf("annotations:\n%s", strings.Join(notes, "\n"))
	}
	if len(res.Details) != 1 || !slices.EqualFunc(res.Details[0].Rows, [][]string{
		{"`api/handler.go`", "4 of 6 (2 partly)", "66.6%", "24–25", "21, 23"},
		{"`api/routes.go`", "2 of 2 (1 partly)", "100%", "", "4"},
	}, slices.Equal) {
		t.Fatalf("table: %+v", res.Details)
	}
}

// judgeDiffCoverage runs the bundled policy with its defaults on the pull
// request's files and coverage, and returns the diff coverage result.
func judgeDiffCoverage(t *testing.T, prFiles []facts.File, cov map[string]facts.CoverageFile) decision.RuleResult {
	t.Helper()
	ctx := context.Background()
	mods, err := policies.Modules()
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := policy.Compile(ctx, mods, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := compiled.DefaultEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	in := facts.Build(facts.Sources{Files: prFiles, Now: now, Coverage: facts.Coverage{
		Status: "ready", SHA: strings.Repeat("a", 40), Flags: []string{""}, Files: cov,
	}})
	j, err := (evaluator.Judge{Engine: engine, Mode: decision.Enforce}).Decide(ctx, in, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range j.Verdict.Rules {
		if r.ID == "diff_coverage" {
			return r
		}
	}
	t.Fatal("no diff_coverage result")
	return decision.RuleResult{}
}

func TestEncodeDecodeKeepsBranches(t *testing.T) {
	r := coverage.Report{
		Files:    map[string]map[int]int{"a.js": {1: 1, 2: 0, 3: 9}},
		Branches: map[string]map[int]coverage.Branches{"a.js": {1: {Total: 40, Taken: 2, Which: 1<<39 | 1, Named: true}, 3: {Total: 4, Taken: 3}}},
	}
	s, err := coverage.Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := coverage.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Files, r.Files) || !reflect.DeepEqual(back.Branches, r.Branches) {
		t.Fatalf("round trip:\n%+v\n%+v", back, r)
	}
}
