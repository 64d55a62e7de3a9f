package command

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCode(t *testing.T) {
	tests := []struct {
		in, want string
		shown    string // the span's text as Markdown shows it; in when empty
	}{
		{in: "plain", want: "`plain`"},
		{in: "@octocat please look", want: "`@octocat please look`"},
		{in: "<img src=x onerror=alert(1)> **bold** #12", want: "`<img src=x onerror=alert(1)> **bold** #12`"},
		{in: "a`b", want: "``a`b``"},
		{in: "`a`", want: "`` `a` ``"},
		{in: "a``b```c", want: "````a``b```c````"},
		{in: "```", want: "```` ``` ````"},
		{in: " padded ", want: "`  padded  `"},
		{in: "   ", want: "`   `"},
		{in: "", want: "` `", shown: " "},
		{in: "one\ntwo\r\nthree", want: "`one two  three`", shown: "one two  three"},
		{in: "x\n```\n@team", want: "````x ``` @team````", shown: "x ``` @team"},
		{in: "tab\there", want: "`tab here`", shown: "tab here"},
		{in: "nul\x00bell\a", want: "`nul\uFFFDbell\uFFFD`", shown: "nul\uFFFDbell\uFFFD"},
		{in: "bad\xffutf8", want: "`bad\uFFFDutf8`", shown: "bad\uFFFDutf8"},
		{in: "abc\u202edcba\u2066", want: "`abcdcba`", shown: "abcdcba"},
		{in: "zwj 👩\u200d💻 stays", want: "`zwj 👩\u200d💻 stays`"},
		{in: strings.Repeat("ü", 500), want: "`" + strings.Repeat("ü", 500) + "`", shown: strings.Repeat("ü", 500)}, // a whole reason fits
		{in: strings.Repeat("ü", 600), want: "`" + strings.Repeat("ü", 499) + "…`", shown: strings.Repeat("ü", 499) + "…"},
	}
	for _, tt := range tests {
		got := Code(tt.in)
		if got != tt.want {
			t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
		}
		shown := tt.shown
		if shown == "" {
			shown = tt.in
		}
		spans, outside := codeSpans(got)
		if outside != "" || len(spans) != 1 || spans[0] != shown {
			t.Errorf("Code(%q) = %q reads as spans %q and text %q, want one span %q", tt.in, got, spans, outside, shown)
		}
	}
}

// codeSpans reads Markdown inline text the way CommonMark reads backticks
// (the replies tested hold no backslash escapes): the code spans' text as
// shown, and the text outside them. A backtick run opens a span closed by
// the next run of the same length; without one, it is literal text.
func codeSpans(s string) (spans []string, outside string) {
	var out strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '`' {
			out.WriteByte(s[i])
			i++
			continue
		}
		n := runAt(s, i)
		end := -1
		for j := i + n; j < len(s); {
			if s[j] != '`' {
				j++
				continue
			}
			m := runAt(s, j)
			if m == n {
				end = j
				break
			}
			j += m
		}
		if end < 0 {
			out.WriteString(s[i : i+n])
			i += n
			continue
		}
		text := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s[i+n : end])
		if len(text) >= 2 && text[0] == ' ' && text[len(text)-1] == ' ' && strings.Trim(text, " ") != "" {
			text = text[1 : len(text)-1]
		}
		spans = append(spans, text)
		i = end + n
	}
	return spans, out.String()
}

func runAt(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == '`' {
		n++
	}
	return n
}

func FuzzCode(f *testing.F) {
	for _, s := range []string{"", "x", "`", "``a``", " `", "@a\n@b", "\xff", strings.Repeat("`", 600), "a\u202eb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Code(s)
		spans, outside := codeSpans(got)
		if outside != "" || len(spans) != 1 {
			t.Fatalf("Code(%q) = %q reads as spans %q and text %q", s, got, spans, outside)
		}
		if !utf8.ValidString(got) || strings.ContainsAny(got, "\r\n") {
			t.Fatalf("Code(%q) = %q: invalid UTF-8 or a line break", s, got)
		}
		if utf8.RuneCountInString(spans[0]) > maxCode+1 {
			t.Fatalf("Code(%q) shows %d characters", s, utf8.RuneCountInString(spans[0]))
		}
		if plain(s) && spans[0] != s {
			t.Fatalf("Code(%q) = %q shows %q", s, got, spans[0])
		}
	})
}

// plain reports whether Code shows s exactly as it is.
func plain(s string) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxCode {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || bidiControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}
