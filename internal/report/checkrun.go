// Package report renders a verdict for people: the check run's title,
// summary and annotations, and the terminal text of `mergeguard eval`.
package report

import (
	"fmt"
	"strings"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/text"
)

// DefaultMaxAnnotations caps annotations per check run; a pull request with
// thousands of findings gets the most severe ones and a note.
const DefaultMaxAnnotations = 200

// maxSummaryBytes is GitHub's limit on a check run's output.summary.
const maxSummaryBytes = 65535

// Context is what the summary says about where the verdict came from.
type Context struct {
	HeadSHA        string
	PolicyDigest   string
	MaxAnnotations int
	// Notices are shown above the rules: a policy fallback, a repository
	// setting the organization did not let through.
	Notices []string
	// Appendix is markdown that ends the summary: the replay of a proposed
	// policy on the policy repository's check.
	Appendix string
}

// Output is what a check run shows.
type Output struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	// Text is the check run's details: the rules' tables (the per-file
	// results of diff coverage), and their print() output when the policy
	// is debugged.
	Text        string                `json:"text,omitempty"`
	Annotations []decision.Annotation `json:"annotations"`
	// OmittedAnnotations counts annotations left out by the cap.
	OmittedAnnotations int `json:"omitted_annotations"`
}

// CheckRun renders v as check-run output.
func CheckRun(v decision.Verdict, c Context) Output {
	max := c.MaxAnnotations
	if max <= 0 {
		max = DefaultMaxAnnotations
	}
	all := v.Annotations()
	out := Output{Title: Title(v), Annotations: all}
	if len(all) > max {
		out.Annotations, out.OmittedAnnotations = all[:max], len(all)-max
	}
	out.Summary = summary(v, c, out.OmittedAnnotations)
	out.Text = detailsText(v)
	return out
}

// detailsText renders the rules' tables, then their print() output.
func detailsText(v decision.Verdict) string {
	var b strings.Builder
	for _, r := range v.Rules {
		for _, t := range r.Details {
			writeTable(&b, t)
		}
	}
	for _, r := range v.Rules {
		if len(r.Prints) == 0 {
			continue
		}
		fence := strings.Repeat("`", 3)
		printed := strings.ReplaceAll(strings.Join(r.Prints, "\n"), fence, strings.Repeat("'", 3))
		fmt.Fprintf(&b, "### print() output of %s\n\n%s\n%s\n%s\n\n", r.ID, fence, printed, fence)
	}
	return fitDetails(b.String())
}

// writeTable renders one rule table as markdown.
func writeTable(b *strings.Builder, t decision.Table) {
	fmt.Fprintf(b, "### %s\n\n", line(t.Title))
	b.WriteString("|")
	for _, c := range t.Columns {
		fmt.Fprintf(b, " %s |", cell(c))
	}
	b.WriteString("\n|")
	for range t.Columns {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		b.WriteString("|")
		for _, c := range row {
			fmt.Fprintf(b, " %s |", cell(c))
		}
		b.WriteString("\n")
	}
	if t.Note != "" {
		fmt.Fprintf(b, "\n%s\n", line(t.Note))
	}
	b.WriteString("\n")
}

// Title states the verdict in one line.
func Title(v decision.Verdict) string {
	failing := names(v, decision.Fail)
	broken := names(v, decision.Error)
	warnings := v.Count(decision.Warn)
	var verdict string
	switch {
	case len(broken) > 0 && len(failing) == 0:
		verdict = fmt.Sprintf("Blocked: %s could not be evaluated", list(broken))
	case len(broken) > 0:
		verdict = fmt.Sprintf("Blocked by %s; %s could not be evaluated", list(failing), list(broken))
	case len(failing) > 0:
		verdict = "Blocked by " + list(failing)
	case v.Count(decision.Overridden) > 0:
		verdict = "Passed: " + list(names(v, decision.Overridden)) + " overridden"
	case len(v.Rules) == 0:
		verdict = "Passed: no rules are configured"
	case warnings > 0:
		verdict = fmt.Sprintf("Passed with %d %s", warnings, text.Plural(warnings, "warning", "warnings"))
	case v.Count(decision.Skip) == len(v.Rules):
		verdict = "Passed: no rule applies to this pull request"
	default:
		n := len(v.Rules) - v.Count(decision.Skip)
		verdict = fmt.Sprintf("Passed: %d of %d %s passed", n, n, text.Plural(n, "rule", "rules"))
	}
	if v.Mode == decision.Report {
		if v.Blocked {
			return "Report only — would be " + lowerFirst(verdict)
		}
		return "Report only — " + lowerFirst(verdict)
	}
	return verdict
}

func summary(v decision.Verdict, c Context, omitted int) string {
	var b strings.Builder
	switch {
	case v.Blocked && v.Mode == decision.Report:
		b.WriteString("**Report-only mode:** these rules would block this pull request. Nothing is blocked while the policy is in report mode.\n\n")
	case v.Blocked:
		n := v.Count(decision.Fail) + v.Count(decision.Error)
		fmt.Fprintf(&b, "**This pull request cannot merge yet:** %d %s not satisfied. Each one below says what to do next.\n\n", n, text.Plural(n, "rule is", "rules are"))
	default:
		b.WriteString("**All rules are satisfied.**\n\n")
	}
	for _, n := range c.Notices {
		fmt.Fprintf(&b, "> ⚠️ %s\n\n", line(n))
	}

	interventions(&b, v)

	if len(v.Rules) > 0 {
		b.WriteString("| Rule | Result | Details |\n| --- | --- | --- |\n")
		for _, r := range v.Rules {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(r.Title), outcomeLabel(r.Outcome), cell(headline(r)))
		}
		b.WriteString("\n")
	}

	for _, r := range v.Rules {
		if r.Outcome == decision.Pass || r.Outcome == decision.Skip {
			continue
		}
		fmt.Fprintf(&b, "### %s %s\n\n", outcomeIcon(r.Outcome), line(r.Title))
		if o := r.Overridden; o != nil && r.Outcome == decision.Overridden {
			fmt.Fprintf(&b, "Overridden by @%s for this commit; what it found is kept here for the record.\n\n", login(o.By))
		}
		if r.Outcome == decision.Error {
			if problems := strings.Split(strings.TrimSpace(r.Err), "\n"); len(problems) > 1 {
				b.WriteString("This could not be evaluated, so mergeguard blocks rather than guess:\n\n")
				for _, p := range problems {
					fmt.Fprintf(&b, "- %s\n", line(p))
				}
				b.WriteString("\n")
			} else {
				fmt.Fprintf(&b, "This rule could not be evaluated, so mergeguard blocks rather than guess: %s\n\n", line(r.Err))
			}
			b.WriteString("**Next step:** this is a problem in the policy, not in your change. Ask the team that owns the mergeguard policy to fix it; the check re-runs on the next push or review.\n\n")
			continue
		}
		for _, f := range append(append([]decision.Finding{}, r.Denials...), r.Warnings...) {
			fmt.Fprintf(&b, "- %s%s\n", line(f.Message), where(f.Location))
		}
		if r.ShowsRemedy() {
			fmt.Fprintf(&b, "\n**Next step:** %s\n", line(r.Remedy))
		}
		b.WriteString("\n")
	}

	if omitted > 0 {
		fmt.Fprintf(&b, "_%d more line annotations were left out; the most severe are shown. Every finding is listed above._\n\n", omitted)
	}
	evaluated := decision.ShortSHA(c.HeadSHA)
	if evaluated == "" {
		evaluated = "(local)" // mergeguard eval on a working tree: no commit
	}
	fmt.Fprintf(&b, "<sub>Evaluated `%s` with policy `%s` in %s mode.</sub>\n", evaluated, c.PolicyDigest, v.Mode)

	if c.Appendix != "" {
		b.WriteString("\n" + c.Appendix)
	}
	return fitSummary(b.String())
}

// fitSummary cuts a summary to GitHub's size limit, saying so.
func fitSummary(s string) string { return fit(s, "summary") }

// fitDetails cuts the details (output.text, with the same limit).
func fitDetails(s string) string { return fit(s, "details") }

func fit(s, what string) string {
	if len(s) <= maxSummaryBytes {
		return s
	}
	note := "\n\n_The " + what + " were cut at GitHub's size limit. Run `mergeguard eval` locally for the full report._\n"
	if what == "summary" {
		note = "\n\n_The summary was cut at GitHub's size limit. Run `mergeguard eval` locally for the full report._\n"
	}
	cut := maxSummaryBytes - len(note)
	for cut > 0 && (s[cut]&0xC0) == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + note
}

func headline(r decision.RuleResult) string {
	switch r.Outcome {
	case decision.Error:
		return "could not be evaluated"
	case decision.Skip:
		return strings.Join(r.SkipReasons, "; ")
	case decision.Fail, decision.Warn, decision.Overridden:
		fs := append(append([]decision.Finding{}, r.Denials...), r.Warnings...)
		if len(fs) == 1 {
			return fs[0].Message
		}
		return fmt.Sprintf("%d findings", len(fs))
	}
	return ""
}

func outcomeLabel(o decision.Outcome) string {
	return outcomeIcon(o) + " " + map[decision.Outcome]string{
		decision.Pass: "passed", decision.Fail: "failed", decision.Warn: "warning",
		decision.Skip: "skipped", decision.Error: "error", decision.Overridden: "overridden",
	}[o]
}

func outcomeIcon(o decision.Outcome) string {
	return map[decision.Outcome]string{
		decision.Pass: "✅", decision.Fail: "❌", decision.Warn: "⚠️",
		decision.Skip: "⏭️", decision.Error: "🛑", decision.Overridden: "🔓",
	}[o]
}

func names(v decision.Verdict, o decision.Outcome) []string {
	var out []string
	for _, r := range v.Rules {
		if r.Outcome == o {
			out = append(out, r.Title)
		}
	}
	return out
}

func list(names []string) string {
	switch len(names) {
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return fmt.Sprintf("%d rules: %s", len(names), strings.Join(names, ", "))
}

func where(l *decision.Location) string {
	if l == nil {
		return ""
	}
	if l.StartLine == 0 {
		return fmt.Sprintf(" (`%s`)", code(l.Path))
	}
	if l.EndLine > l.StartLine {
		return fmt.Sprintf(" (`%s` lines %d–%d)", code(l.Path), l.StartLine, l.EndLine)
	}
	return fmt.Sprintf(" (`%s` line %d)", code(l.Path), l.StartLine)
}

// cell makes text safe inside a markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(line(s), "|", `\|`)
}

// line keeps text on one markdown line.
func line(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func code(s string) string { return strings.ReplaceAll(s, "`", "'") }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
