// Package coverage reads the coverage reports a repository's CI uploads —
// Go cover profiles, LCOV, Cobertura XML, JaCoCo XML, Clover XML,
// Istanbul's coverage-final.json and coverage.py's JSON report — into one
// shape: for every file, which lines can be covered, how often each ran,
// and, where the format says, how many of a line's branches were taken.
// That is what diff coverage needs; percentages are left to the policy.
//
// The input comes from outside (any CI, any version of any tool), so the
// parsers never panic, bound what they keep (MaxFiles, MaxLines), and
// explain a rejected report in an *Error that names the format, the place
// and what to change.
package coverage

import (
	"fmt"
	"maps"
	"math"
	"strings"
)

// Format is a report format.
type Format string

const (
	GoCover    Format = "go"          // `go test -coverprofile` output
	LCOV       Format = "lcov"        // LCOV tracefile (lcov, Istanbul/nyc, llvm-cov, c8, …)
	Cobertura  Format = "cobertura"   // Cobertura XML (coverage.py, Istanbul's cobertura reporter, gcovr, …)
	JaCoCo     Format = "jacoco"      // JaCoCo XML
	Clover     Format = "clover"      // Clover XML (PHPUnit, Istanbul's clover reporter, OpenClover)
	Istanbul   Format = "istanbul"    // Istanbul's coverage-final.json (nyc, Jest, c8, Vitest)
	CoveragePy Format = "coverage.py" // coverage.py's JSON report (coverage json)
)

// Limits bound what Parse accepts (to keep a server's memory bounded): at
// most MaxFiles files and MaxLines coverable lines in total; beyond, Parse
// returns an *Error saying which limit.
const (
	MaxFiles = 100_000
	MaxLines = 20_000_000
)

// maxFiles and maxLines are the limits Parse enforces; they are variables
// only so that tests can reach them without building a gigabyte report.
var (
	maxFiles = MaxFiles
	maxLines = MaxLines
)

// maxLineNumber is the largest line number accepted. No source file has two
// billion lines, and keeping line numbers in 31 bits means they fit an int
// on every platform and no range arithmetic on them can overflow.
const maxLineNumber = math.MaxInt32

// Report is line coverage per file: for every coverable line of a file, how
// many times it ran (0 = not covered), and for the lines with branches, how
// many of them were taken.
type Report struct {
	Files map[string]map[int]int // path → line number (1-based) → hits
	// Branches holds the branch coverage of the lines that have branches,
	// by the same paths; every line in it is a coverable line of Files.
	// Nil, or without a file, when the format has no branch data.
	Branches map[string]map[int]Branches

	// index makes Match cheap (see match.go). It is a pointer so that the
	// copies Match's value receiver makes share one index, built on the
	// first Match. Parse, Normalize and Merge attach it; a Report written
	// as a literal has none, and Match then scans instead.
	index *matchIndex
}

// Parse detects the format and parses the report. Errors are *Error values.
// Paths are as the report names them (Cobertura's joined to its source, see
// cobertura.go); Normalize makes them the repository's.
func Parse(data []byte) (Report, Format, error) {
	format, err := detect(data)
	if err != nil {
		return Report{}, format, err
	}
	var r Report
	switch format {
	case GoCover:
		r, err = parseGoCover(data)
	case LCOV:
		r, err = parseLCOV(data)
	case Cobertura:
		r, err = parseCobertura(data)
	case JaCoCo:
		r, err = parseJaCoCo(data)
	case Clover:
		r, err = parseClover(data)
	case Istanbul:
		r, err = parseIstanbul(data)
	case CoveragePy:
		r, err = parseCoveragePy(data)
	}
	if err != nil {
		return Report{}, format, err
	}
	if len(r.Files) == 0 {
		return Report{}, format, &Error{Format: format, Problem: "the report covers no files; check that the tests ran and that the coverage tool was told which sources to measure"}
	}
	r.index = new(matchIndex)
	return r, format, nil
}

// Merge adds other's hits into r (several uploads for one commit, e.g. unit
// and integration flags): a line's hits are summed, a line coverable in
// either is coverable, and a line's branches are combined (see Branches).
//
// r never shares a line map with other afterwards: a file only other has is
// copied, so a later Merge into r cannot change other.
func (r *Report) Merge(other Report) {
	r.mergeBranches(other.Branches)
	if r.Files == nil {
		r.Files = make(map[string]map[int]int, len(other.Files))
	}
	for path, lines := range other.Files {
		mine, ok := r.Files[path]
		if !ok {
			r.Files[path] = maps.Clone(lines)
			if lines == nil {
				r.Files[path] = map[int]int{}
			}
			continue
		}
		for line, hits := range lines {
			mine[line] = addHits(mine[line], hits)
		}
	}
	// The index notices files added since it was built (see match.go), so
	// an existing one stays; a report without one gets one.
	if r.index == nil {
		r.index = new(matchIndex)
	}
}

// mergeBranches combines other's branch coverage into r's.
func (r *Report) mergeBranches(other map[string]map[int]Branches) {
	if len(other) > 0 && r.Branches == nil {
		r.Branches = make(map[string]map[int]Branches, len(other))
	}
	for path, lines := range other {
		mine, ok := r.Branches[path]
		if !ok {
			r.Branches[path] = maps.Clone(lines)
			continue
		}
		for line, b := range lines {
			mine[line] = mine[line].combine(b)
		}
	}
}

// addHits sums two hit counts, saturating instead of wrapping: a line that
// ran more than MaxInt times must not come out negative (uncovered).
func addHits(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// Error is a report that cannot be used: which format (if detected), where
// (line, or XML element path), and what is wrong, worded for the person
// whose CI uploaded it.
type Error struct {
	Format  Format // "" when the format could not be detected
	Line    int    // 1-based line of the report; 0 when not tied to a line
	Where   string // XML element path such as /coverage/packages/package[@name="shop"]; "" for text formats
	Problem string // what is wrong and what to do about it
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Format != "" {
		b.WriteString(string(e.Format))
		b.WriteString(" ")
	}
	b.WriteString("report")
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Where != "" {
		b.WriteString(" at ")
		b.WriteString(e.Where)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}

// fileSet accumulates a report while a parser reads it and enforces the
// limits as it grows, so that an oversized report is refused before it has
// taken the memory the limits are there to protect.
type fileSet struct {
	files map[string]*fileData
	lines int // distinct coverable lines over all files
}

// fileData is one file of a report being read.
type fileData struct {
	lines    map[int]int
	branches map[int]Branches // nil until a line has branches
}

func newFileSet() *fileSet {
	return &fileSet{files: map[string]*fileData{}}
}

// file returns path's data, adding the file; ok is false when that would
// exceed MaxFiles.
func (s *fileSet) file(path string) (f *fileData, ok bool) {
	if f, found := s.files[path]; found {
		return f, true
	}
	if len(s.files) >= maxFiles {
		return nil, false
	}
	f = &fileData{lines: map[int]int{}}
	s.files[path] = f
	return f, true
}

// combine is how a parser folds a second measurement of one line into the
// first: summed for formats whose repeats are separate runs, the maximum
// for formats whose repeats are the same run described twice.
type combine func(old, hits int) int

func maxHits(a, b int) int { return max(a, b) }

// set records hits for a line; ok is false when a new line would exceed
// MaxLines.
func (s *fileSet) set(f *fileData, line, hits int, how combine) bool {
	old, seen := f.lines[line]
	if seen {
		f.lines[line] = how(old, hits)
		return true
	}
	if s.lines >= maxLines {
		return false
	}
	s.lines++
	f.lines[line] = hits
	return true
}

// setBranches records a line's branches, combined with any recorded
// before. A line known only by its branches becomes coverable, run when a
// branch was taken; ok is false when that would exceed MaxLines.
func (s *fileSet) setBranches(f *fileData, line int, b Branches) bool {
	if b.Total == 0 {
		return true
	}
	if _, seen := f.lines[line]; !seen {
		ran := 0
		if b.Taken > 0 {
			ran = 1
		}
		if !s.set(f, line, ran, maxHits) {
			return false
		}
	}
	if f.branches == nil {
		f.branches = map[int]Branches{}
	}
	f.branches[line] = f.branches[line].combine(b)
	return true
}

func (s *fileSet) report() Report {
	r := Report{Files: make(map[string]map[int]int, len(s.files))}
	for path, f := range s.files {
		r.Files[path] = f.lines
		if len(f.branches) > 0 {
			if r.Branches == nil {
				r.Branches = map[string]map[int]Branches{}
			}
			r.Branches[path] = f.branches
		}
	}
	return r
}

// tooManyFiles and tooManyLines are the limit errors, the same for every
// format.
func tooManyFiles(f Format) *Error {
	return &Error{Format: f, Problem: fmt.Sprintf("the report has more than %d files (the limit); upload one report per part of the repository (separate flags), or measure only the sources the repository's pull requests change", maxFiles)}
}

func tooManyLines(f Format) *Error {
	return &Error{Format: f, Problem: fmt.Sprintf("the report has more than %d coverable lines (the limit); upload one report per part of the repository (separate flags), or measure only the sources the repository's pull requests change", maxLines)}
}
