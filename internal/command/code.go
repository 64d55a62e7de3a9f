package command

import (
	"strings"
	"unicode"

	"github.com/mergeguard/mergeguard/internal/text"
)

// maxCode bounds the text Code shows, in characters: a whole reason fits.
const maxCode = MaxReason

// Code renders text someone wrote (a reason, a login, a mistyped command)
// as a Markdown inline code span, the one way replies quote such text. In
// a code span GitHub shows the text as it is: no @mention notifies anyone,
// no #123 or URL links, no HTML or Markdown takes effect. So that the text
// cannot end the span early or reach beyond it:
//
//   - the span is fenced with one backtick more than the longest run of
//     backticks inside (and padded with a space where the text starts or
//     ends with a backtick or space, which Markdown strips again), so a
//     backtick in the text is shown, never closing the span;
//   - line breaks become spaces, so the text cannot start a new block;
//   - other control characters become U+FFFD, invalid UTF-8 too, and
//     bidirectional formatting characters are dropped, so the text cannot
//     reorder how the reply around it reads;
//   - it is clipped to 500 characters, marked with "…".
//
// Empty text is shown as a code span holding a space. The span is not for
// a table cell, where GitHub splits cells at "|" even inside code.
func Code(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\v' || r == '\f' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			return ' '
		case bidiControl(r):
			return -1
		case unicode.IsControl(r): // strings.Map turns invalid UTF-8 into U+FFFD
			return unicode.ReplacementChar
		}
		return r
	}, s)
	s = text.ClipRunes(s, maxCode)
	if s == "" {
		return "` `"
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.Trim(s, " ") != "" && (s[0] == '`' || s[0] == ' ' || s[len(s)-1] == '`' || s[len(s)-1] == ' ') {
		s = " " + s + " "
	}
	return fence + s + fence
}

// bidiControl reports whether r is a bidirectional formatting character.
func bidiControl(r rune) bool {
	return r == '\u061c' || r == '\u200e' || r == '\u200f' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

func longestRun(s string, c byte) int {
	longest, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			longest = max(longest, n)
		} else {
			n = 0
		}
	}
	return longest
}
