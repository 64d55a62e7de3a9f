package coverage

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Istanbul's coverage-final.json (nyc's and Jest's json reporter, c8
// --reporter=json, Vitest's istanbul and v8 providers): an object of files
// by absolute path, each
//
//	{"path": "/home/runner/work/shop/shop/src/cart.js",
//	 "statementMap": {"0": {"start": {"line": 1, "column": 0}, "end": {…}}, …},
//	 "fnMap": {"0": {"name": "add", "decl": {…}, "loc": {…}, "line": 3}, …},
//	 "branchMap": {"0": {"loc": {…}, "type": "if", "locations": [{…}, {…}], "line": 5}, …},
//	 "s": {"0": 1, …}, "f": {"0": 4, …}, "b": {"0": [3, 0], …}}
//
// Lines are read as Istanbul's own line coverage and lcov reporter read
// them: a statement counts on the line it starts, and a line's hits are
// the largest count of the statements starting there. A function's
// declaration line is coverable with the function's count, as its lcov
// reporter writes FN/FNDA (see lcov.go). A branch point (an if, a ternary,
// a switch, a logical expression) belongs to its line (its "line", else
// where its location starts); its arms are the line's branches, named in
// the order of the branch points' ids and then of the arms, taken when
// their count is above 0.
//
// A file written as {"data": {…}} (a FileCoverage object serialised as
// is) is read from its data. Location lines of 0 or null, which source map
// remapping can leave, place nothing and are skipped.

type istanbulPos struct {
	Line jsonLine `json:"line"`
}

type istanbulLoc struct {
	Start istanbulPos `json:"start"`
}

type istanbulFn struct {
	Decl *istanbulLoc `json:"decl"`
	Loc  *istanbulLoc `json:"loc"`
	Line jsonLine     `json:"line"`
}

type istanbulBranch struct {
	Loc       *istanbulLoc  `json:"loc"`
	Line      jsonLine      `json:"line"`
	Locations []istanbulLoc `json:"locations"`
}

type istanbulFile struct {
	Path         string                    `json:"path"`
	StatementMap map[string]istanbulLoc    `json:"statementMap"`
	FnMap        map[string]istanbulFn     `json:"fnMap"`
	BranchMap    map[string]istanbulBranch `json:"branchMap"`
	S            map[string]jsonCount      `json:"s"`
	F            map[string]jsonCount      `json:"f"`
	B            map[string][]jsonCount    `json:"b"`
	Data         *istanbulFile             `json:"data"`
}

func parseIstanbul(data []byte) (Report, error) {
	j := newJSONReader(data, Istanbul)
	set := newFileSet()
	if err := j.delim('{', "", "an Istanbul report"); err != nil {
		return Report{}, err
	}
	for j.d.More() {
		key, err := j.key("")
		if err != nil {
			return Report{}, err
		}
		where := jsonKey(key)
		var fc istanbulFile
		if err := j.d.Decode(&fc); err != nil {
			return Report{}, j.problem(err, where)
		}
		if fc.StatementMap == nil && fc.Data != nil {
			fc = *fc.Data
		}
		path := key
		if strings.TrimSpace(path) == "" {
			path = fc.Path
		}
		if strings.TrimSpace(path) == "" {
			return Report{}, j.fail(where, "a file has no path (neither its key nor its path field), so its lines cannot be tied to a file")
		}
		f, ok := set.file(path)
		if !ok {
			return Report{}, j.at(tooManyFiles(Istanbul), where)
		}
		if !istanbulLines(set, f, &fc) {
			return Report{}, j.at(tooManyLines(Istanbul), where)
		}
	}
	if _, err := j.d.Token(); err != nil { // the closing brace
		return Report{}, j.problem(err, "")
	}
	if err := j.end(); err != nil {
		return Report{}, err
	}
	return set.report(), nil
}

// istanbulLines records one file's statements, functions and branches; ok
// is false when the lines would exceed MaxLines.
func istanbulLines(set *fileSet, f *fileData, fc *istanbulFile) bool {
	for id, loc := range fc.StatementMap {
		if l := int(loc.Start.Line); l > 0 && !set.set(f, l, int(fc.S[id]), maxHits) {
			return false
		}
	}
	for id, fn := range fc.FnMap {
		if l := fn.line(); l > 0 && !set.set(f, l, int(fc.F[id]), maxHits) {
			return false
		}
	}
	if len(fc.BranchMap) == 0 {
		return true
	}
	// Ids in numeric order, so that two uploads name a line's branches
	// alike and their runs combine branch by branch.
	ids := make([]string, 0, len(fc.BranchMap))
	for id := range fc.BranchMap {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, compareIDs)
	lines := map[int]*Branches{}
	var order []int
	for _, id := range ids {
		br := fc.BranchMap[id]
		l := br.line()
		if l <= 0 {
			continue
		}
		counts := fc.B[id]
		if len(counts) == 0 {
			counts = make([]jsonCount, len(br.Locations))
		}
		b, ok := lines[l]
		if !ok {
			b = &Branches{}
			lines[l] = b
			order = append(order, l)
		}
		for _, c := range counts {
			b.add(c > 0)
		}
	}
	for _, l := range order {
		if !set.setBranches(f, l, *lines[l]) {
			return false
		}
	}
	return true
}

// line is where a function is declared.
func (fn istanbulFn) line() int {
	switch {
	case fn.Decl != nil && fn.Decl.Start.Line > 0:
		return int(fn.Decl.Start.Line)
	case fn.Loc != nil && fn.Loc.Start.Line > 0:
		return int(fn.Loc.Start.Line)
	}
	return int(fn.Line)
}

// line is the line a branch point belongs to, as Istanbul's line summary
// places it.
func (br istanbulBranch) line() int {
	switch {
	case br.Line > 0:
		return int(br.Line)
	case br.Loc != nil && br.Loc.Start.Line > 0:
		return int(br.Loc.Start.Line)
	case len(br.Locations) > 0:
		return int(br.Locations[0].Start.Line)
	}
	return 0
}

// compareIDs orders Istanbul's ids ("0", "1", … "10") as numbers, and any
// other ids after them as text.
func compareIDs(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return cmp.Compare(x, y)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}
