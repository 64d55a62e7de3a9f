package diffcover_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/coverage"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/diffcover"
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
	got := diffcover.Lines(files, report)
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
	in := facts.Build(facts.Sources{Files: files, Now: now, Coverage: facts.Coverage{
		Status: "ready", SHA: strings.Repeat("a", 40), Flags: []string{""}, Files: diffcover.Lines(files, report),
	}})
	j, err := (evaluator.Judge{Engine: engine, Mode: decision.Enforce}).Decide(ctx, in, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range j.Verdict.Rules {
		if r.ID != "diff_coverage" {
			continue
		}
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
		return
	}
	t.Fatal("no diff_coverage result")
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	s, err := diffcover.Encode(report)
	if err != nil {
		t.Fatal(err)
	}
	back, err := diffcover.Decode(s)
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
	if _, err := diffcover.Decode("not base64!"); err == nil {
		t.Fatal("garbage must not decode")
	}
}
