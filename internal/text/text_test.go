package text

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijkl", 10, "abcdefg…"},
		{"ééééé", 6, "é…"},         // é is 2 bytes; never half a character
		{"a\xffb", 10, "a\uFFFDb"}, // invalid bytes replaced
		{"abcdef", 2, ""},
	} {
		got := Clip(tc.in, tc.max)
		if tc.max >= len(Ellipsis) && got != tc.want {
			t.Errorf("Clip(%q, %d) = %q; want %q", tc.in, tc.max, got, tc.want)
		}
		if len(got) > tc.max || !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) = %q: over the limit or invalid", tc.in, tc.max, got)
		}
	}
}

func FuzzClip(f *testing.F) {
	f.Add("ééééé", 6)
	f.Add(strings.Repeat("x", 100), 50)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		got := Clip(s, n)
		if len(got) > n || !utf8.ValidString(got) {
			t.Fatalf("Clip(%q, %d) = %q", s, n, got)
		}
	})
}

func TestClipRunes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijkl", 10, "abcdefghi…"},
		{"éééééé", 5, "éééé…"},      // counted in characters, not bytes
		{"日本語のテキスト", 8, "日本語のテキスト"}, // 8 characters, 24 bytes: fits
		{"a\xffb", 10, "a\uFFFDb"},  // invalid bytes replaced
		{"abc", 1, "…"},
		{"abc", 0, ""},
		{"", 0, ""},
	} {
		got := ClipRunes(tc.in, tc.max)
		if got != tc.want {
			t.Errorf("ClipRunes(%q, %d) = %q; want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func FuzzClipRunes(f *testing.F) {
	f.Add("ééééé", 3)
	f.Add(strings.Repeat("x", 100), 50)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		got := ClipRunes(s, n)
		if utf8.RuneCountInString(got) > n || !utf8.ValidString(got) {
			t.Fatalf("ClipRunes(%q, %d) = %q", s, n, got)
		}
		if valid := strings.ToValidUTF8(s, "\uFFFD"); utf8.RuneCountInString(valid) <= n && got != valid {
			t.Fatalf("ClipRunes(%q, %d) = %q; it fits and should be kept whole", s, n, got)
		}
	})
}

func TestPlural(t *testing.T) {
	if Plural(1, "rule", "rules") != "rule" || Plural(0, "rule", "rules") != "rules" || Plural(2, "rule", "rules") != "rules" {
		t.Fatal("Plural disagrees with its noun")
	}
}
