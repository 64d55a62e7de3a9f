// Coverage facts: which of a pull request's added lines the uploaded reports
// measure (can be covered at all) and which of those ran. The percentage and
// the verdict are the policy's business; this is the fact.
//
// The definition is diff-cover's: measured = added lines the report counts as
// coverable; covered = measured lines with at least one hit; a file the report
// does not have contributes no measured lines (and the rule says so). On top of
// it, Codecov's partial lines: a covered line with branches of which only some
// were taken. How a partial line counts toward the percentage is the policy's
// setting; the facts say which lines they are.

package facts

import (
	"slices"

	"github.com/mergeguard/mergeguard/internal/coverage"
)

// Lines joins each changed file's added lines with the report.
func CoverageFromReport(files []File, r coverage.Report) map[string]CoverageFile {
	out := map[string]CoverageFile{}
	for _, f := range files {
		if f.Status == "removed" || len(f.AddedLines) == 0 {
			continue
		}
		cf := CoverageFile{Measured: []int{}, Covered: []int{}, Partial: []int{}, Branches: []LineBranches{}}
		lines, reportPath, ok := r.Match(f.Path)
		if ok {
			cf.InReport, cf.ReportPath = true, reportPath
			branches := r.Branches[reportPath]
			for _, l := range f.AddedLines {
				hits, coverable := lines[l.Line]
				if !coverable {
					continue
				}
				cf.Measured = append(cf.Measured, l.Line)
				b, hasBranches := branches[l.Line]
				if hasBranches {
					cf.Branches = append(cf.Branches, LineBranches{Line: l.Line, Total: int(b.Total), Taken: int(b.Taken)})
				}
				if hits > 0 {
					cf.Covered = append(cf.Covered, l.Line)
					if hasBranches && b.Missed() > 0 {
						cf.Partial = append(cf.Partial, l.Line)
					}
				}
			}
			slices.Sort(cf.Measured)
			slices.Sort(cf.Covered)
			slices.Sort(cf.Partial)
			slices.SortFunc(cf.Branches, func(a, b LineBranches) int { return a.Line - b.Line })
		}
		out[f.Path] = cf
	}
	return out
}
