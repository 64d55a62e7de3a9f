package command

import "strings"

// commandLines returns the comment's command lines, in order, trimmed: the
// lines whose first word is prefix, among the lines that GitHub shows as
// text someone wrote. A quoted or code-formatted command is someone showing
// a command, not running it (mergeguard's own replies quote commands too),
// so those lines are skipped.
//
// This follows GitHub's Markdown far enough to tell those apart, not in
// full. Where it differs, it errs towards not reading a line as a command:
//
//   - Line endings: "\r\n", and a lone "\r", end a line, as in Markdown.
//   - A first word of exactly prefix: "/guardian" and "/guard:" are not
//     commands, "- /guard hold" (a list item) is not one either. The prefix
//     is matched case-sensitively (people type it from the usage), the verb
//     after it is not.
//   - Fenced code blocks: a line of three or more backticks or tildes opens
//     one (a backtick fence's info string holds no backtick, else the line is
//     inline code); it is closed by a line of only the same character, at
//     least as many. An unclosed fence runs to the end of the comment. Fences
//     indented by any amount count, as they are inside list items.
//   - Indented code: a line indented by four or more columns (a tab counts
//     up to the next multiple of four) is code, even where Markdown would
//     continue a paragraph with it.
//   - Block quotes: a line starting with ">" (after up to three columns of
//     indentation; nested "> >" and ">>" alike). A line without ">" after a
//     quoted line is not part of the quote here, though Markdown may show it
//     in the quote ("lazy continuation"): its writer typed the command
//     rather than quoting it.
//   - Inline code: a line starting with a backtick cannot start with the
//     prefix, so "`/guard hold`" is never a command.
//   - HTML comments, which GitHub does not show: "<!-- … -->" is removed
//     from a line before it is read; text after an unclosed "<!--" is hidden
//     up to and including the line holding "-->". A "<!--" inside an inline
//     code span is taken as a comment too, hiding lines that are in fact
//     shown.
func commandLines(body, prefix string) []string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	var (
		out     []string
		fence   string // the open fence, or "" outside fenced code
		comment bool   // inside an HTML comment
	)
	for _, line := range strings.Split(body, "\n") {
		switch {
		case comment:
			// The line that ends the comment is not read: what follows
			// "-->" there is part of the same HTML to Markdown.
			comment = !strings.Contains(line, "-->")
			continue
		case fence != "":
			if closesFence(line, fence) {
				fence = ""
			}
			continue
		}
		if f, ok := opensFence(line); ok {
			fence = f
			continue
		}
		if indentation(line) >= 4 {
			continue
		}
		text := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(text, ">") {
			continue
		}
		text, comment = withoutComments(text)
		text = strings.TrimSpace(text)
		if first, _ := cutWord(text); first == prefix {
			out = append(out, text)
		}
	}
	return out
}

// opensFence returns the fence a line opens.
func opensFence(line string) (string, bool) {
	t := strings.TrimLeft(line, " \t")
	if t == "" || (t[0] != '`' && t[0] != '~') {
		return "", false
	}
	n := len(t) - len(strings.TrimLeft(t, t[:1]))
	if n < 3 || (t[0] == '`' && strings.Contains(t[n:], "`")) {
		return "", false
	}
	return t[:n], true
}

// closesFence reports whether line closes fence: only the fence's
// character, at least as many.
func closesFence(line, fence string) bool {
	t := strings.TrimSpace(line)
	return len(t) >= len(fence) && strings.TrimLeft(t, fence[:1]) == ""
}

// indentation is how many columns of spaces and tabs start line, a tab
// advancing to the next multiple of four.
func indentation(line string) int {
	col := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ' ':
			col++
		case '\t':
			col += 4 - col%4
		default:
			return col
		}
	}
	return col
}

// withoutComments removes HTML comments from a line and reports whether one
// is left open at its end. "<!-->" and "<!--->" are whole comments, as in
// Markdown.
func withoutComments(line string) (string, bool) {
	var b strings.Builder
	for {
		i := strings.Index(line, "<!--")
		if i < 0 {
			b.WriteString(line)
			return b.String(), false
		}
		b.WriteString(line[:i])
		j := strings.Index(line[i+2:], "-->")
		if j < 0 {
			return b.String(), true
		}
		line = line[i+2+j+3:]
	}
}
