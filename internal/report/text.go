package report

import (
	"fmt"
	"io"
	"strings"

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
			if r.Remedy != "" && len(r.Denials) > 0 {
				fmt.Fprintf(&b, "       next step: %s\n", line(r.Remedy))
			}
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
