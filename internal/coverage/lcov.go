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
//	FN:<line>,<name>  FNDA:<count>,<name>  BRDA:<line>,<block>,<branch>,<taken>  …
//	DA:<line>,<hits>[,<checksum>]
//	LF:<lines found>  LH:<lines hit>
//	end_of_record
//
// Only SF and DA carry line coverage; every other record is skipped,
// including ones newer lcov versions add, so the parser keeps working
// when they appear. A file recorded twice (tracefiles of several test runs
// concatenated) and a line recorded twice have their hits summed, as
// `lcov -a` does.

func parseLCOV(data []byte) (Report, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	set := newFileSet()
	var cur map[int]int // lines of the open record; nil outside records
	lineNo := 0
	for rest := data; len(rest) > 0; {
		var raw []byte
		raw, rest = nextLine(rest)
		lineNo++
		line := bytes.TrimSpace(raw) // also drops Windows' "\r"
		if len(line) == 0 {
			continue
		}
		fail := func(problem string) (Report, error) {
			return Report{}, &Error{Format: LCOV, Line: lineNo, Problem: problem}
		}
		if string(line) == "end_of_record" {
			// A stray end_of_record (say, two in a row) closes nothing and
			// hurts nothing.
			cur = nil
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
			path := string(bytes.TrimSpace(value))
			if path == "" {
				return fail("SF: has no path; every record starts with SF:<source file path>")
			}
			lines, ok := set.file(path)
			if !ok {
				e := tooManyFiles(LCOV)
				e.Line = lineNo
				return Report{}, e
			}
			cur = lines
		case "DA":
			if cur == nil {
				return fail(fmt.Sprintf("%s comes before any SF: line (or after end_of_record), so it belongs to no file; every DA: must follow the SF: of its file", quoteStart(line)))
			}
			lineStr, rest, ok := bytes.Cut(value, []byte(","))
			if !ok {
				return fail(fmt.Sprintf("%s lacks the hit count; the form is DA:<line>,<hits>", quoteStart(line)))
			}
			hitsStr, _, _ := bytes.Cut(rest, []byte(",")) // an optional checksum follows
			n, problem := parseLine(string(lineStr))
			if problem != "" {
				return fail(fmt.Sprintf("in %s the line number %s", quoteStart(line), problem))
			}
			hits, problem := parseHits(string(hitsStr))
			if problem != "" {
				return fail(fmt.Sprintf("in %s the hit count %s", quoteStart(line), problem))
			}
			if !set.set(cur, n, hits, addHits) {
				e := tooManyLines(LCOV)
				e.Line = lineNo
				return Report{}, e
			}
		}
	}
	return set.report(), nil
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
