package coverage

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse parses generated reports of 10,000 files, shaped like the
// real ones: a Go profile of 12 blocks per file (200,000 coverable lines in
// all); an LCOV tracefile, Clover XML (Istanbul's), Istanbul's
// coverage-final.json and coverage.py's JSON, each of 20 lines per file
// with a function and a two-way branch.
func BenchmarkParse(b *testing.B) {
	const files = 10_000
	var goProfile, lcov, clover, istanbul, coveragePy strings.Builder
	clover.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<coverage generated="1718000012345" clover="3.2.0">` + "\n" + `  <project timestamp="1718000012345" name="All files">` + "\n")
	istanbul.WriteString("{")
	coveragePy.WriteString(`{"meta": {"format": 3, "version": "7.6.1", "branch_coverage": true}, "files": {`)
	goProfile.WriteString("mode: atomic\n")
	for i := range files {
		path := fmt.Sprintf("github.com/acme/shop/internal/pkg%d/file%d.go", i/20, i)
		line := 10
		for blk := range 12 {
			// Consecutive blocks share their boundary line, as Go's do.
			end := line + blk%3 + 1
			fmt.Fprintf(&goProfile, "%s:%d.%d,%d.%d %d %d\n", path, line, 20+blk, end, 3, blk%4+1, (i+blk)%5)
			line = end
		}
		fmt.Fprintf(&lcov, "TN:\nSF:src/pkg%d/file%d.ts\nFN:1,f%d\nFNF:1\nFNH:1\nFNDA:3,f%d\n", i/20, i, i, i)
		for l := 1; l <= 20; l++ {
			fmt.Fprintf(&lcov, "DA:%d,%d\n", l, (i+l)%4)
		}
		lcov.WriteString("LF:20\nLH:15\nBRDA:3,0,0,1\nBRDA:3,0,1,0\nBRF:2\nBRH:1\nend_of_record\n")

		path = fmt.Sprintf("/home/runner/work/shop/shop/src/pkg%d/file%d", i/20, i)
		fmt.Fprintf(&clover, "    <file name=\"file%d.ts\" path=\"%s.ts\">\n      <metrics statements=\"20\" coveredstatements=\"15\" conditionals=\"2\" coveredconditionals=\"1\" methods=\"1\" coveredmethods=\"1\"/>\n", i, path)
		if i > 0 {
			istanbul.WriteString(",")
			coveragePy.WriteString(",")
		}
		fmt.Fprintf(&istanbul, `"%s.ts":{"path":"%s.ts","statementMap":{`, path, path)
		var executed, missing []string
		for l := 1; l <= 20; l++ {
			hits := (i + l) % 4
			if l == 3 {
				fmt.Fprintf(&clover, "      <line num=\"%d\" count=\"%d\" type=\"cond\" truecount=\"1\" falsecount=\"1\"/>\n", l, hits)
			} else {
				fmt.Fprintf(&clover, "      <line num=\"%d\" count=\"%d\" type=\"stmt\"/>\n", l, hits)
			}
			if l > 1 {
				istanbul.WriteString(",")
			}
			fmt.Fprintf(&istanbul, `"%d":{"start":{"line":%d,"column":2},"end":{"line":%d,"column":40}}`, l-1, l, l)
			if hits > 0 {
				executed = append(executed, fmt.Sprint(l))
			} else {
				missing = append(missing, fmt.Sprint(l))
			}
		}
		clover.WriteString("    </file>\n")
		istanbul.WriteString(`},"fnMap":{"0":{"name":"f","decl":{"start":{"line":1,"column":9},"end":{"line":1,"column":10}},"loc":{"start":{"line":1,"column":13},"end":{"line":20,"column":1}},"line":1}},`)
		istanbul.WriteString(`"branchMap":{"0":{"loc":{"start":{"line":3,"column":2},"end":{"line":5,"column":3}},"type":"if","locations":[{"start":{"line":3,"column":2},"end":{"line":5,"column":3}},{"start":{"line":3,"column":2},"end":{"line":5,"column":3}}],"line":3}},"s":{`)
		for l := 1; l <= 20; l++ {
			if l > 1 {
				istanbul.WriteString(",")
			}
			fmt.Fprintf(&istanbul, `"%d":%d`, l-1, (i+l)%4)
		}
		istanbul.WriteString(`},"f":{"0":3},"b":{"0":[1,0]},"_coverageSchema":"1a1c01bbd47fc00a2c39e90264f33305004495a9","hash":"0f4b2c2b9a7e8c0f6a1d2e3c4b5a69788796a5b4"}`)
		fmt.Fprintf(&coveragePy, `"src/pkg%d/file%d.py": {"executed_lines": [%s], "summary": {"covered_lines": %d, "num_statements": 20, "percent_covered": 75.0, "percent_covered_display": "75", "missing_lines": %d, "excluded_lines": 0, "num_branches": 2, "num_partial_branches": 1, "covered_branches": 1, "missing_branches": 1}, "missing_lines": [%s], "excluded_lines": [], "executed_branches": [[3, 4]], "missing_branches": [[3, 6]]}`,
			i/20, i, strings.Join(executed, ", "), len(executed), len(missing), strings.Join(missing, ", "))
	}
	clover.WriteString("  </project>\n</coverage>\n")
	istanbul.WriteString("}")
	coveragePy.WriteString(`}, "totals": {"covered_lines": 150000, "num_statements": 200000}}`)
	for _, bench := range []struct {
		name string
		data []byte
	}{
		{"go", []byte(goProfile.String())},
		{"lcov", []byte(lcov.String())},
		{"clover", []byte(clover.String())},
		{"istanbul", []byte(istanbul.String())},
		{"coverage.py", []byte(coveragePy.String())},
	} {
		b.Run(bench.name, func(b *testing.B) {
			b.SetBytes(int64(len(bench.data)))
			b.ReportAllocs()
			for b.Loop() {
				r, _, err := Parse(bench.data)
				if err != nil || len(r.Files) != files {
					b.Fatalf("%d files, %v", len(r.Files), err)
				}
			}
		})
	}
}
