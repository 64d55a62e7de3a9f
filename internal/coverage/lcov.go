package coverage

import (
	"bytes"
	"fmt"
)

// LCOV tracefiles (lcov/geninfo, Istanbul/nyc, c8, llvm-cov export, …): one
// record per source file,
//
//	TN:<test name>
//	SF:<path>
//	FN:<line>[,<end line>],<name>       FNDA:<count>,<name>     (lcov 1.x)
//	FNL:<index>,<line>[,<end line>]     FNA:<index>,<count>,<name>  (lcov 2.2+)
//	BRDA:<line>,[e][U]<block>,<branch>,<taken>
//	DA:<line>,<hits>[,<checksum>]
//	LF:<lines found>  LH:<lines hit>  BRF, BRH, FNF, FNH, …
//	end_of_record
//
// DA gives a line's hits. A function's first line is coverable too, with
// the function's count (FNDA, FNA), as Codecov reads LCOV: a function no
// test calls leaves its declaration uncovered even when the tool wrote no
// DA for it; where DA has the line as well, the larger count stands.
//
// BRDA gives a line's branches in order; <taken> is a count, or "-" when
// the block never ran (not taken). The branch field may itself hold commas
// (lcov 2 writes an expression there), so the line is the first field, the
// block the second and the count the last. A block marked U (lcov 2's
// excluded branch) does not count, as lcov leaves it out of its totals. A
// line with branches but no DA is coverable, run when a branch was taken.
//
// Every other record is skipped, including ones newer lcov versions add,
// so the parser keeps working when they appear. A file recorded twice
// (tracefiles of several test runs concatenated) and a line recorded twice
// have their hits summed, as `lcov -a` does; branches and function counts
// are applied when the file's record ends, and a file's branches from two
// records combine branch by branch.

// lcovRecord is what one record says beyond DA lines, applied at its end.
// One is reused for every record (its maps cleared, not remade), since a
// tracefile has a record per file.
type lcovRecord struct {
	file *fileData // nil outside records
	// functions by name (FN/FNDA) and by index (FNL/FNA): their first line
	// and count.
	fnLine  map[string]int
	fnCount map[string]int
	idxLine map[string]int
	// branch maps a line to its branches in branches, kept in first-seen
	// order for deterministic limits.
	branch   map[int]int
	branches []lcovBranches
}

type lcovBranches struct {
	line int
	b    Branches
}

func newLCOVRecord() *lcovRecord {
	return &lcovRecord{fnLine: map[string]int{}, fnCount: map[string]int{}, idxLine: map[string]int{}, branch: map[int]int{}}
}

// reset starts the record of f.
func (r *lcovRecord) reset(f *fileData) {
	r.file = f
	clear(r.fnLine)
	clear(r.fnCount)
	clear(r.idxLine)
	clear(r.branch)
	r.branches = r.branches[:0]
}

func parseLCOV(data []byte) (Report, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	set := newFileSet()
	rec := newLCOVRecord()
	// closeRecord applies the open record's functions and branches.
	closeRecord := func() bool {
		f := rec.file
		if f == nil {
			return true
		}
		rec.file = nil
		for name, line := range rec.fnLine {
			if !applyFunction(set, f, line, rec.fnCount[name]) {
				return false
			}
		}
		for _, lb := range rec.branches {
			if !set.setBranches(f, lb.line, lb.b) {
				return false
			}
		}
		return true
	}
	for lineNo, line := range contentLines(data) {
		fail := func(problem string) (Report, error) {
			return Report{}, &Error{Format: LCOV, Line: lineNo, Problem: problem}
		}
		tooMany := func() (Report, error) {
			e := tooManyLines(LCOV)
			e.Line = lineNo
			return Report{}, e
		}
		if string(line) == "end_of_record" {
			// A stray end_of_record (say, two in a row) closes nothing and
			// hurts nothing.
			if !closeRecord() {
				return tooMany()
			}
			continue
		}
		key, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !lcovKey(key) {
			return fail(fmt.Sprintf("%s is not an LCOV record; records are KEY:VALUE (SF:, DA:, …) or end_of_record", quoteStart(line)))
		}
		switch string(key) {
		case "SF":
			// A new SF without end_of_record before it starts the next
			// file; some generators leave the terminator out.
			if !closeRecord() {
				return tooMany()
			}
			path := string(bytes.TrimSpace(value))
			if path == "" {
				return fail("SF: has no path; every record starts with SF:<source file path>")
			}
			f, ok := set.file(path)
			if !ok {
				e := tooManyFiles(LCOV)
				e.Line = lineNo
				return Report{}, e
			}
			rec.reset(f)
			continue
		case "DA", "FN", "FNDA", "FNL", "FNA", "BRDA":
		default:
			continue
		}
		if rec.file == nil {
			return fail(fmt.Sprintf("%s comes before any SF: line (or after end_of_record), so it belongs to no file; every %s: must follow the SF: of its file", quoteStart(line), key))
		}
		var problem string
		switch string(key) {
		case "DA":
			var n, hits int
			if n, hits, problem = lcovDA(value); problem == "" && !set.set(rec.file, n, hits, addHits) {
				return tooMany()
			}
		case "FN":
			problem = rec.fn(value)
		case "FNDA":
			problem = rec.fnda(value)
		case "FNL":
			problem = rec.fnl(value)
		case "FNA":
			problem = rec.fna(value)
		case "BRDA":
			problem = rec.brda(value)
		}
		if problem != "" {
			return fail(fmt.Sprintf("in %s %s", quoteStart(line), problem))
		}
	}
	if !closeRecord() {
		return Report{}, tooManyLines(LCOV)
	}
	return set.report(), nil
}

// applyFunction makes a function's first line coverable with its count,
// keeping a larger count DA gave the line.
func applyFunction(set *fileSet, f *fileData, line, count int) bool {
	return set.set(f, line, count, maxHits)
}

// lcovDA reads "<line>,<hits>[,<checksum>]".
func lcovDA(value []byte) (line, hits int, problem string) {
	lineStr, rest, ok := bytes.Cut(value, []byte(","))
	if !ok {
		return 0, 0, "the hit count is missing; the form is DA:<line>,<hits>"
	}
	hitsStr, _, _ := bytes.Cut(rest, []byte(",")) // an optional checksum follows
	if line, problem = parseLine(string(lineStr)); problem != "" {
		return 0, 0, "the line number " + problem
	}
	if hits, problem = parseHits(string(hitsStr)); problem != "" {
		return 0, 0, "the hit count " + problem
	}
	return line, hits, ""
}

// fn reads "FN:<line>[,<end line>],<name>". The name may hold commas (C++
// templates), so an end line is taken only when the second field is a
// number and a name follows it.
func (r *lcovRecord) fn(value []byte) string {
	lineStr, rest, ok := bytes.Cut(value, []byte(","))
	if !ok || len(bytes.TrimSpace(rest)) == 0 {
		return "the function name is missing; the form is FN:<line>,<name>"
	}
	line, problem := parseLine(string(lineStr))
	if problem != "" {
		return "the line number " + problem
	}
	if end, name, ok := bytes.Cut(rest, []byte(",")); ok && digits(string(end)) && len(name) > 0 {
		rest = name
	}
	if _, seen := r.fnLine[string(rest)]; !seen {
		r.fnLine[string(rest)] = line
	}
	return ""
}

// fnda reads "FNDA:<count>,<name>". A count for a function no FN declared
// has no line to go on and is skipped, as lcov does.
func (r *lcovRecord) fnda(value []byte) string {
	countStr, name, ok := bytes.Cut(value, []byte(","))
	if !ok || len(name) == 0 {
		return "the function name is missing; the form is FNDA:<count>,<name>"
	}
	count, problem := parseHits(string(countStr))
	if problem != "" {
		return "the count " + problem
	}
	if line, ok := r.fnLine[string(name)]; ok && line > 0 {
		r.fnCount[string(name)] = addHits(r.fnCount[string(name)], count)
	}
	return ""
}

// fnl reads lcov 2's "FNL:<index>,<line>[,<end line>]".
func (r *lcovRecord) fnl(value []byte) string {
	idx, rest, ok := bytes.Cut(value, []byte(","))
	if !ok || !digits(string(idx)) {
		return "the form is FNL:<index>,<line>[,<end line>]"
	}
	lineStr, _, _ := bytes.Cut(rest, []byte(","))
	line, problem := parseLine(string(lineStr))
	if problem != "" {
		return "the line number " + problem
	}
	r.idxLine[string(idx)] = line
	return ""
}

// fna reads lcov 2's "FNA:<index>,<count>,<name>": the count of one name
// (alias) of the function at FNL <index>. Aliases share the line, which
// gets their largest count.
func (r *lcovRecord) fna(value []byte) string {
	idx, rest, ok := bytes.Cut(value, []byte(","))
	countStr, name, ok2 := bytes.Cut(rest, []byte(","))
	if !ok || !ok2 || len(name) == 0 {
		return "the form is FNA:<index>,<count>,<name>"
	}
	count, problem := parseHits(string(countStr))
	if problem != "" {
		return "the count " + problem
	}
	line, ok := r.idxLine[string(idx)]
	if !ok {
		return fmt.Sprintf("no FNL:%s line comes before it, so the function has no line", clip(string(idx)))
	}
	// Keyed by index, which FN names cannot collide with (a name is never
	// just digits and a NUL).
	key := "\x00" + string(idx)
	r.fnLine[key] = line
	r.fnCount[key] = max(r.fnCount[key], count)
	return ""
}

// brda reads "BRDA:<line>,[e][U]<block>,<branch>,<taken>".
func (r *lcovRecord) brda(value []byte) string {
	const form = "the form is BRDA:<line>,<block>,<branch>,<taken>"
	lineStr, rest, ok := bytes.Cut(value, []byte(","))
	block, rest2, ok2 := bytes.Cut(rest, []byte(","))
	i := bytes.LastIndexByte(rest2, ',')
	if !ok || !ok2 || i < 0 {
		return form
	}
	takenStr := string(bytes.TrimSpace(rest2[i+1:]))
	line, problem := parseLine(string(lineStr))
	if problem != "" {
		return "the line number " + problem
	}
	taken := false
	if takenStr != "-" {
		count, problem := parseHits(takenStr)
		if problem != "" {
			return "the taken count " + problem + ` (or "-" for a block that never ran)`
		}
		taken = count > 0
	}
	if bytes.ContainsRune(bytes.TrimPrefix(block, []byte("e")), 'U') {
		return "" // excluded from branch coverage
	}
	i, seen := r.branch[line]
	if !seen {
		i = len(r.branches)
		r.branch[line] = i
		r.branches = append(r.branches, lcovBranches{line: line})
	}
	r.branches[i].b.add(taken)
	return ""
}

// lcovKey reports whether key can name an LCOV record: capital letters and
// digits, like every record lcov defines. It tells an unknown record, which
// is skipped, from text that is no record at all, which is an error.
func lcovKey(key []byte) bool {
	if len(key) == 0 || key[0] < 'A' || key[0] > 'Z' {
		return false
	}
	for _, c := range key {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
