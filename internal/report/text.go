package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// Text writes a verdict for a terminal: the same content as the check run,
// without markdown.
func Text(w io.Writer, v decision.Verdict, out Output) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", out.Title)
	fmt.Fprintf(&b, "conclusion: %s (mode: %s)\n\n", v.Conclusion, v.Mode)
	for _, r := range v.Rules {
		fmt.Fprintf(&b, "%-5s  %s — %s\n", strings.ToUpper(string(r.Outcome)), r.ID, r.Title)
		switch r.Outcome {
		case decision.Error:
			fmt.Fprintf(&b, "       could not be evaluated: %s\n", r.Err)
		case decision.Skip:
			for _, s := range r.SkipReasons {
				fmt.Fprintf(&b, "       skipped: %s\n", s)
			}
		case decision.Fail, decision.Warn:
			for _, f := range append(append([]decision.Finding{}, r.Denials...), r.Warnings...) {
				fmt.Fprintf(&b, "       - %s%s\n", f.Message, plainWhere(f.Location))
			}
			if r.ShowsRemedy() {
				fmt.Fprintf(&b, "       next step: %s\n", line(r.Remedy))
			}
		}
	}
	for _, r := range v.Rules {
		for _, t := range r.Details {
			plainTable(&b, t)
		}
	}
	if len(out.Annotations) > 0 {
		fmt.Fprintf(&b, "\nannotations (%d):\n", len(out.Annotations))
		for _, a := range out.Annotations {
			loc := fmt.Sprintf("%s:%d", a.Path, a.StartLine)
			if a.EndLine > a.StartLine {
				loc = fmt.Sprintf("%s:%d-%d", a.Path, a.StartLine, a.EndLine)
			}
			fmt.Fprintf(&b, "  %s  [%s] %s: %s\n", loc, a.Level, a.Title, a.Message)
		}
		if out.OmittedAnnotations > 0 {
			fmt.Fprintf(&b, "  … and %d more\n", out.OmittedAnnotations)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// plainTable writes a rule table with its columns aligned, markdown code
// spans unwrapped.
func plainTable(b *strings.Builder, t decision.Table) {
	plain := func(s string) string { return strings.ReplaceAll(line(s), "`", "") }
	widths := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		widths[i] = utf8.RuneCountInString(plain(c))
	}
	for _, row := range t.Rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(plain(c)))
		}
	}
	writeRow := func(cells []string) {
		var row strings.Builder
		for i, c := range cells {
			c = plain(c)
			row.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
		b.WriteString("  " + strings.TrimRight(row.String(), " ") + "\n")
	}
	fmt.Fprintf(b, "\n%s:\n", plain(t.Title))
	writeRow(t.Columns)
	for _, row := range t.Rows {
		writeRow(row)
	}
	if t.Note != "" {
		fmt.Fprintf(b, "  %s\n", plain(t.Note))
	}
}

func plainWhere(l *decision.Location) string {
	switch {
	case l == nil:
		return ""
	case l.StartLine == 0:
		return fmt.Sprintf(" (%s)", l.Path)
	case l.EndLine > l.StartLine:
		return fmt.Sprintf(" (%s:%d-%d)", l.Path, l.StartLine, l.EndLine)
	}
	return fmt.Sprintf(" (%s:%d)", l.Path, l.StartLine)
}
