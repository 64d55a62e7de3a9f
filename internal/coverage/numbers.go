package coverage

import (
	"fmt"
	"math"
	"strings"
)

// Line numbers and hit counts are read by hand rather than with strconv so
// that the error can say which of the three usual mistakes it is (a
// negative number, a fraction or other text, a number too large) and so
// that an overflowing hit count can saturate instead of failing.

// digits reports whether s is a non-empty run of ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// notANumber describes why s is not a non-negative whole number.
func notANumber(s string) string {
	switch {
	case s == "":
		return "is empty; it must be a whole number"
	case s[0] == '-' && digits(s[1:]):
		return "is negative; counts and line numbers cannot be"
	default:
		return "is not a whole number"
	}
}

// parseLine reads a 1-based line number. problem is "" when it is one.
func parseLine(s string) (line int, problem string) {
	s = strings.TrimSpace(s)
	if !digits(s) {
		return 0, notANumber(s)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
		if n > maxLineNumber {
			return 0, fmt.Sprintf("is too large for a line number (at most %d)", maxLineNumber)
		}
	}
	if n == 0 {
		return 0, "is 0; line numbers start at 1"
	}
	return n, ""
}

// parseHits reads a hit count. Counters overflow in long runs and some
// tools print them as they are, so a count beyond MaxInt is taken as
// MaxInt: for diff coverage only "ran at least once" matters.
func parseHits(s string) (hits int, problem string) {
	s = strings.TrimSpace(s)
	if !digits(s) {
		return 0, notANumber(s)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		d := int(s[i] - '0')
		if n > (math.MaxInt-d)/10 {
			return math.MaxInt, ""
		}
		n = n*10 + d
	}
	return n, ""
}
