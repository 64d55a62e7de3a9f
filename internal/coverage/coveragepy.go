package coverage

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
)

// coverage.py's JSON report (coverage json, format 1 to 3):
//
//	{"meta": {"format": 3, "version": "7.6.1", "branch_coverage": true, …},
//	 "files": {"src/shop/charge.py": {
//	     "executed_lines": [1, 2, 4], "missing_lines": [3], "excluded_lines": [],
//	     "executed_branches": [[2, 4], [8, -1]], "missing_branches": [[2, 3]],
//	     "summary": {…}, "functions": {…}, "classes": {…}}},
//	 "totals": {…}}
//
// Executed lines ran (hits 1: the report has no counts) and missing lines
// did not. With branch coverage, every arc [from, to] out of a line is one
// of its branches (to is negative for leaving the function), taken when
// it is among the executed ones; a line's branches are named in the order
// of their targets, so two uploads combine branch by branch. The functions
// and classes regions repeat the file's lines and are not read again.
// Paths are as coverage.py wrote them: relative to where it ran, or
// absolute; Normalize makes them the repository's.

type coveragePyFile struct {
	ExecutedLines    []jsonLine `json:"executed_lines"`
	MissingLines     []jsonLine `json:"missing_lines"`
	ExecutedBranches [][2]int   `json:"executed_branches"`
	MissingBranches  [][2]int   `json:"missing_branches"`
	// Regions are decoded as raw bytes only to skip them cheaply.
	Functions json.RawMessage `json:"functions"`
	Classes   json.RawMessage `json:"classes"`
}

func parseCoveragePy(data []byte) (Report, error) {
	j := newJSONReader(data, CoveragePy)
	set := newFileSet()
	if err := j.delim('{', "", "a coverage.py JSON report"); err != nil {
		return Report{}, err
	}
	sawFiles := false
	for j.d.More() {
		key, err := j.key("")
		if err != nil {
			return Report{}, err
		}
		if key != "files" {
			var skip json.RawMessage
			if err := j.d.Decode(&skip); err != nil {
				return Report{}, j.problem(err, "."+clip(key))
			}
			continue
		}
		sawFiles = true
		if err := j.delim('{', ".files", "files"); err != nil {
			return Report{}, err
		}
		for j.d.More() {
			path, err := j.key(".files")
			if err != nil {
				return Report{}, err
			}
			where := ".files" + jsonKey(path)
			var fc coveragePyFile
			if err := j.d.Decode(&fc); err != nil {
				return Report{}, j.problem(err, where)
			}
			if strings.TrimSpace(path) == "" {
				return Report{}, j.fail(where, "a file has an empty path, so its lines cannot be tied to a file")
			}
			if fc.ExecutedLines == nil && fc.MissingLines == nil {
				return Report{}, j.fail(where, "the file has neither executed_lines nor missing_lines; upload the report coverage json writes, unchanged")
			}
			f, ok := set.file(path)
			if !ok {
				return Report{}, j.at(tooManyFiles(CoveragePy), where)
			}
			if !coveragePyLines(set, f, &fc) {
				return Report{}, j.at(tooManyLines(CoveragePy), where)
			}
		}
		if _, err := j.d.Token(); err != nil {
			return Report{}, j.problem(err, ".files")
		}
	}
	if _, err := j.d.Token(); err != nil {
		return Report{}, j.problem(err, "")
	}
	if err := j.end(); err != nil {
		return Report{}, err
	}
	if !sawFiles {
		return Report{}, &Error{Format: CoveragePy, Problem: `the report has no "files" object; upload the report coverage json writes, unchanged`}
	}
	return set.report(), nil
}

// arc is one branch of a line: where it goes and whether it was taken.
type arc struct {
	to    int
	taken bool
}

// coveragePyLines records one file's lines and branches; ok is false when
// they would exceed MaxLines.
func coveragePyLines(set *fileSet, f *fileData, fc *coveragePyFile) bool {
	for _, l := range fc.MissingLines {
		if l > 0 && !set.set(f, int(l), 0, maxHits) {
			return false
		}
	}
	for _, l := range fc.ExecutedLines {
		if l > 0 && !set.set(f, int(l), 1, maxHits) {
			return false
		}
	}
	if len(fc.ExecutedBranches)+len(fc.MissingBranches) == 0 {
		return true
	}
	arcs := map[int][]arc{}
	for _, a := range fc.ExecutedBranches {
		if a[0] > 0 && a[0] <= maxLineNumber {
			arcs[a[0]] = append(arcs[a[0]], arc{to: a[1], taken: true})
		}
	}
	for _, a := range fc.MissingBranches {
		if a[0] > 0 && a[0] <= maxLineNumber {
			arcs[a[0]] = append(arcs[a[0]], arc{to: a[1]})
		}
	}
	lines := make([]int, 0, len(arcs))
	for l := range arcs {
		lines = append(lines, l)
	}
	slices.Sort(lines)
	for _, l := range lines {
		as := arcs[l]
		// An arc listed twice (both executed and missing, which coverage.py
		// does not write) is one branch, taken.
		slices.SortFunc(as, func(a, b arc) int {
			return cmp.Or(cmp.Compare(a.to, b.to), cmp.Compare(boolRank(b.taken), boolRank(a.taken)))
		})
		as = slices.CompactFunc(as, func(a, b arc) bool { return a.to == b.to })
		var b Branches
		for _, a := range as {
			b.add(a.taken)
		}
		if !set.setBranches(f, l, b) {
			return false
		}
	}
	return true
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
