// Package text holds the small string helpers every view shares, so that each
// behaves the same everywhere: a clipped message never ends in half a
// character, and a count always agrees with its noun.
package text

import (
	"strings"
	"unicode/utf8"
)

// Ellipsis marks where Clip cut a string.
const Ellipsis = "…"

// Clip shortens s to at most maxBytes bytes, ending in an ellipsis when it cut
// anything. It cuts on a character boundary and replaces invalid UTF-8, so the
// result is always valid text GitHub and terminals accept. GitHub's limits are
// in characters; counting bytes keeps us within them for any text.
func Clip(s string, maxBytes int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxBytes {
		return s
	}
	cut := maxBytes - len(Ellipsis)
	if cut <= 0 {
		return "" // no room for even the ellipsis
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + Ellipsis
}

// ClipRunes is Clip for limits counted in characters rather than bytes: it
// shortens s to at most maxChars characters, the ellipsis included, for
// text people read where a limit in bytes would cut non-Latin text to a
// fraction of what the same limit allows Latin text. Invalid UTF-8 is
// replaced as in Clip.
func ClipRunes(s string, maxChars int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= maxChars {
		return s
	}
	if maxChars < 1 {
		return "" // no room for even the ellipsis
	}
	kept := 0
	for i := range s {
		if kept == maxChars-1 {
			return s[:i] + Ellipsis
		}
		kept++
	}
	return s // unreachable: s has more than maxChars characters
}

// Plural picks the noun form for n: one for exactly 1, many otherwise.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
