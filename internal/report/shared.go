package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// PRVerdict is one pull request's verdict on a commit.
type PRVerdict struct {
	Number     int                 `json:"number"`
	Base       string              `json:"base"`
	Conclusion decision.Conclusion `json:"conclusion"`
	Output     Output              `json:"output"`
}

var strictness = map[decision.Conclusion]int{decision.Failure: 0, decision.Neutral: 1, decision.Success: 2}

// Shared combines the verdicts of the open pull requests whose head is the
// same commit. A check run belongs to the commit, and branch protection
// reads it for every pull request with that head, so it shows the strictest
// verdict: a change may only merge anywhere when every pull request
// proposing it may merge. With one pull request the output is its own.
func Shared(vs []PRVerdict) (decision.Conclusion, Output) {
	if len(vs) == 0 {
		return decision.Success, Output{}
	}
	vs = slices.Clone(vs)
	slices.SortStableFunc(vs, func(a, b PRVerdict) int {
		return cmp.Or(cmp.Compare(strictness[a.Conclusion], strictness[b.Conclusion]), cmp.Compare(a.Number, b.Number))
	})
	if len(vs) == 1 {
		return vs[0].Conclusion, vs[0].Output
	}
	first := vs[0]
	out := Output{Title: fmt.Sprintf("#%d into %s: %s", first.Number, first.Base, first.Output.Title)}
	var b strings.Builder
	fmt.Fprintf(&b, "**This commit is the head of %d open pull requests.** A check run belongs to a commit, so it shows the strictest of their verdicts; each is below.\n\n", len(vs))
	for _, v := range vs {
		fmt.Fprintf(&b, "## #%d into `%s`: %s\n\n%s\n", v.Number, code(v.Base), line(v.Output.Title), v.Output.Summary)
	}
	out.Summary = fitSummary(b.String())
	var text strings.Builder
	for _, v := range vs {
		if v.Output.Text != "" {
			fmt.Fprintf(&text, "## #%d into `%s`\n\n%s\n", v.Number, code(v.Base), v.Output.Text)
		}
	}
	out.Text = fitDetails(text.String())
	seen := map[decision.Annotation]bool{}
	for _, v := range vs {
		out.OmittedAnnotations += v.Output.OmittedAnnotations
		for _, a := range v.Output.Annotations {
			if !seen[a] {
				seen[a] = true
				out.Annotations = append(out.Annotations, a)
			}
		}
	}
	return first.Conclusion, out
}
