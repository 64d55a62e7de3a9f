package sqlsplit

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// FuzzSplit asserts what the rules rely on for any input: no panic; each
// Text is a piece of the input, in order, not overlapping, starting at a
// token; Line and EndLine are the lines of its first and last byte;
// ignores come before their statement and after the previous one; Code
// has no comment, no whitespace but single spaces and no trailing ';'
// outside quoted identifiers; moving firstLine moves every line and
// nothing else; and a statement split again on its own comes back the
// same.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"SELECT 'a;b'; SELECT E'\\';'; SELECT \"a;\"\"b\";",
		"SELECT 1 /* a /* b; */ c; */ + 2; -- x;\n",
		"DO $fn$ BEGIN PERFORM $$;$$; END $fn$; SELECT $1, a$$b;",
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; END; SELECT (1;2);",
		"-- +goose Up\n-- mergeguard:ignore r why\nCREATE INDEX i ON t (a);\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n-- +goose Down\nDROP INDEX i",
		"-- migrate:up\r\nSELECT 1; -- mergeguard:ignore all\r\n-- migrate:down\r\n",
		"\\set x 1\nSELECT 1 \\gset\nSELECT 2 \\; SELECT 3;",
		"\ufeffSELECT 'a'\n'b', U&'x' UESCAPE '!', B'1', \x00\xff;",
		"SELECT 'unterminated", "/* unterminated", "$x$ unterminated", "E'\\", "(((",
		"\\;", "\"unterminated identifier ", "SELECT 1e'\\'; SELECT $1E'x';",
	} {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, src string, firstLine int) {
		if firstLine < -1<<30 || firstLine > 1<<30 {
			firstLine = 1
		}
		res := SplitFile(src, firstLine)
		checkResult(t, src, firstLine, res)

		moved := SplitFile(src, firstLine+1000)
		shift(&moved, -1000)
		if !reflect.DeepEqual(moved, res) {
			t.Fatalf("firstLine+1000 changed more than the lines:\n%s\n%s", dump(res.Statements), dump(moved.Statements))
		}

		if hasDirective(src) || res.Truncated {
			return
		}
		for _, s := range res.Statements {
			if strings.HasPrefix(s.Text, "\ufeff") {
				continue
			}
			again := Split(s.Text, s.Line)
			want := s
			want.Ignores = nil
			if len(again) != 1 || !reflect.DeepEqual(again[0], want) {
				t.Fatalf("statement split again:\n%s\nwant%s", dump(again), dump([]Statement{want}))
			}
		}
	})
}

func checkResult(t *testing.T, src string, firstLine int, res Result) {
	t.Helper()
	if len(res.Statements) > MaxStatements {
		t.Fatalf("%d statements", len(res.Statements))
	}
	lastLine := firstLine + strings.Count(src, "\n")
	lineOf := func(off int) int { return firstLine + strings.Count(src[:off], "\n") }
	prevEnd, prevEndLine := 0, firstLine-1
	for i, s := range res.Statements {
		off := offsetIn(t, src, s.Text)
		if off < prevEnd {
			t.Fatalf("statement %d at byte %d overlaps or precedes the previous one ending at %d", i, off, prevEnd)
		}
		if s.Line != lineOf(off) || s.EndLine != lineOf(off+len(s.Text)-1) {
			t.Fatalf("statement %d %q: lines %d-%d, want %d-%d", i, s.Text, s.Line, s.EndLine, lineOf(off), lineOf(off+len(s.Text)-1))
		}
		if s.Line < firstLine || s.EndLine > lastLine || s.Line > s.EndLine || s.Line < prevEndLine {
			t.Fatalf("statement %d lines %d-%d out of order or outside %d-%d", i, s.Line, s.EndLine, firstLine, lastLine)
		}
		if isSpace(s.Text[0]) {
			t.Fatalf("statement %d %q starts with whitespace", i, s.Text)
		}
		if s.Code == "" {
			if !s.Incomplete || !strings.HasPrefix(s.Text, "/*") {
				t.Fatalf("statement %d %q has no code yet is no unterminated comment", i, s.Text)
			}
		} else if strings.HasPrefix(s.Text, "--") || strings.HasPrefix(s.Text, "/*") {
			t.Fatalf("statement %d %q starts with a comment", i, s.Text)
		}
		if !s.Incomplete && isSpace(s.Text[len(s.Text)-1]) {
			t.Fatalf("statement %d %q ends with whitespace", i, s.Text)
		}
		checkCode(t, s.Code)
		for _, ig := range s.Ignores {
			if ig.Line <= prevEndLine || ig.Line > s.Line {
				t.Fatalf("statement %d (lines %d-%d, previous ends %d) has an ignore on line %d", i, s.Line, s.EndLine, prevEndLine, ig.Line)
			}
		}
		checkOrdered(t, "ignores", ignoreLines(s.Ignores), firstLine, lastLine)
		prevEnd, prevEndLine = off+len(s.Text), s.EndLine
	}
	checkOrdered(t, "unattached ignores", ignoreLines(res.UnattachedIgnores), firstLine, lastLine)
	var dl []int
	for _, d := range res.Directives {
		dl = append(dl, d.Line)
	}
	checkOrdered(t, "directives", dl, firstLine, lastLine)
}

// offsetIn is where text lies in src; it must be a slice of src, not a
// copy.
func offsetIn(t *testing.T, src, text string) int {
	t.Helper()
	if text == "" {
		t.Fatal("empty statement text")
	}
	if src == "" {
		t.Fatalf("statement %q from empty input", text)
	}
	base := uintptr(unsafe.Pointer(unsafe.StringData(src)))
	p := uintptr(unsafe.Pointer(unsafe.StringData(text)))
	if p < base || p+uintptr(len(text)) > base+uintptr(len(src)) {
		t.Fatalf("statement %q is not a slice of the input", text)
	}
	return int(p - base)
}

// checkCode checks Code outside quoted identifiers: no comment starts, no
// whitespace but single spaces between tokens, no trailing ';'.
func checkCode(t *testing.T, code string) {
	t.Helper()
	if code != "" && isSpace(code[0]) {
		t.Fatalf("code %q starts with whitespace", code)
	}
	inIdent := false
	var last byte
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c == '"' {
			inIdent = !inIdent
		}
		if inIdent || c == '"' {
			last = c
			continue
		}
		switch {
		case c == '-' && last == '-', c == '*' && last == '/':
			t.Fatalf("code %q has a comment start at %d", code, i)
		case isSpace(c) && c != ' ', c == ' ' && last == ' ':
			t.Fatalf("code %q has uncollapsed whitespace at %d", code, i)
		}
		last = c
	}
	if !inIdent && (last == ';' || last == ' ') {
		t.Fatalf("code %q ends with %q", code, last)
	}
}

func ignoreLines(igs []Ignore) []int {
	var l []int
	for _, ig := range igs {
		l = append(l, ig.Line)
	}
	return l
}

func checkOrdered(t *testing.T, what string, lines []int, first, last int) {
	t.Helper()
	for i, l := range lines {
		if l < first || l > last || i > 0 && l < lines[i-1] {
			t.Fatalf("%s lines %v out of order or outside %d-%d", what, lines, first, last)
		}
	}
}

func shift(r *Result, d int) {
	for i := range r.Statements {
		s := &r.Statements[i]
		s.Line += d
		s.EndLine += d
		for j := range s.Ignores {
			s.Ignores[j].Line += d
		}
	}
	for i := range r.UnattachedIgnores {
		r.UnattachedIgnores[i].Line += d
	}
	for i := range r.Directives {
		r.Directives[i].Line += d
	}
}

// hasDirective says whether src may hold a migration tool directive, which
// gives a statement a context that splitting it alone does not have.
func hasDirective(src string) bool {
	l := strings.ToLower(src)
	return strings.Contains(l, "+goose") || strings.Contains(l, "+migrate") || strings.Contains(l, "migrate:")
}
