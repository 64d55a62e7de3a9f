package decision

import (
	"cmp"
	"slices"
)

// AnnotationLevel mirrors the three levels a check-run annotation can have.
type AnnotationLevel string

const (
	LevelFailure AnnotationLevel = "failure"
	LevelWarning AnnotationLevel = "warning"
	LevelNotice  AnnotationLevel = "notice"
)

// Annotation is a finding placed on a line range of a file.
type Annotation struct {
	Path      string          `json:"path"`
	StartLine int             `json:"start_line"`
	EndLine   int             `json:"end_line"`
	Level     AnnotationLevel `json:"level"`
	Title     string          `json:"title"`
	Message   string          `json:"message"`
	RuleID    string          `json:"rule"`
}

// Annotations lists every finding that points at a line, most severe first,
// then by file and line, so that a cap keeps the findings that matter.
// Findings without a line stay in the summary only: an annotation on an
// invented line would point the reader at the wrong code.
func (v Verdict) Annotations() []Annotation {
	var out []Annotation
	for _, r := range v.Rules {
		denyLevel := LevelFailure
		if r.Outcome != Fail {
			denyLevel = LevelWarning
		}
		add := func(fs []Finding, level AnnotationLevel) {
			for _, f := range fs {
				loc := f.Location
				if loc == nil || loc.Path == "" || loc.StartLine < 1 {
					continue
				}
				end := loc.EndLine
				if end < loc.StartLine {
					end = loc.StartLine
				}
				out = append(out, Annotation{
					Path: loc.Path, StartLine: loc.StartLine, EndLine: end,
					Level: level, Title: r.Title, Message: f.Message, RuleID: r.ID,
				})
			}
		}
		add(r.Denials, denyLevel)
		add(r.Warnings, LevelWarning)
	}
	slices.SortStableFunc(out, func(a, b Annotation) int {
		return cmp.Or(
			cmp.Compare(levelRank[a.Level], levelRank[b.Level]),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.StartLine, b.StartLine),
		)
	})
	return out
}

var levelRank = map[AnnotationLevel]int{LevelFailure: 0, LevelWarning: 1, LevelNotice: 2}
