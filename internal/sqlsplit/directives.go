package sqlsplit

import "strings"

// Comments that mean something: mergeguard's ignores anywhere, and the
// migration tools' directives, which the tools only read as a line of
// their own.

const ignorePrefix = "mergeguard:ignore"

type directiveKind int

const (
	notDirective directiveKind = iota
	dirUp
	dirDown
	dirBegin
	dirEnd
	dirOther // a directive that does not change the split, e.g. NO TRANSACTION
)

// comment handles a -- comment at p whose trimmed text is body; clean says
// whether it is the first thing on its line.
func (s *splitter) comment(p int, body string, clean bool) {
	if clean {
		if k := classify(body); k != notDirective {
			s.directive(k, body, p)
			return
		}
	}
	rule, reason, ok := parseIgnore(body)
	if !ok {
		return
	}
	ig := Ignore{Rule: rule, Reason: reason, Line: s.lineAt(p)}
	n := len(s.res.Statements)
	if s.stmt.active || n > 0 && s.res.Statements[n-1].EndLine == ig.Line {
		s.unattached(ig)
		return
	}
	if s.ignores() >= MaxIgnores {
		s.res.Truncated = true
		return
	}
	s.pending = append(s.pending, ig)
}

// ignores counts the ignores kept so far.
func (s *splitter) ignores() int {
	// Attached ignores are counted when their statement ends; counting
	// them here again would be quadratic, so keep a running total.
	return s.ignoreCount + len(s.pending) + len(s.res.UnattachedIgnores)
}

func (s *splitter) unattached(ig Ignore) {
	if s.ignores() >= MaxIgnores {
		s.res.Truncated = true
		return
	}
	s.res.UnattachedIgnores = append(s.res.UnattachedIgnores, ig)
}

// parseIgnore reads "mergeguard:ignore RULE REASON...".
func parseIgnore(body string) (rule, reason string, ok bool) {
	if !hasWordPrefix(body, ignorePrefix) {
		return "", "", false
	}
	rest := strings.TrimSpace(body[len(ignorePrefix):])
	i := strings.IndexAny(rest, " \t\f\v")
	if i < 0 {
		return rest, "", true
	}
	return rest[:i], strings.TrimSpace(rest[i:]), true
}

// classify recognises goose's "+goose WORD", sql-migrate's "+migrate WORD"
// and dbmate's "migrate:up" / "migrate:down" (which may be followed by
// options such as transaction:false). Case is ignored.
func classify(body string) directiveKind {
	switch {
	case hasWordPrefix(body, "+goose"):
		return classifyWord(body[len("+goose"):])
	case hasWordPrefix(body, "+migrate"):
		return classifyWord(body[len("+migrate"):])
	case hasWordPrefix(body, "migrate:up"):
		return dirUp
	case hasWordPrefix(body, "migrate:down"):
		return dirDown
	}
	return notDirective
}

func classifyWord(rest string) directiveKind {
	word := strings.TrimSpace(rest)
	if i := strings.IndexAny(word, " \t\f\v"); i >= 0 {
		word = word[:i]
	}
	switch strings.ToLower(word) {
	case "up":
		return dirUp
	case "down":
		return dirDown
	case "statementbegin":
		return dirBegin
	case "statementend":
		return dirEnd
	}
	return dirOther
}

// hasWordPrefix says whether s starts with the word w (ignoring case),
// followed by whitespace or nothing.
func hasWordPrefix(s, w string) bool {
	return len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) &&
		(len(s) == len(w) || isSpace(s[len(w)]))
}

func (s *splitter) directive(k directiveKind, body string, p int) {
	if len(s.res.Directives) < MaxDirectives {
		s.res.Directives = append(s.res.Directives, Directive{Text: body, Line: s.lineAt(p)})
	} else {
		s.res.Truncated = true
	}
	switch k {
	case dirUp, dirDown:
		// A Down marker inside a block means the block was never closed.
		if s.stmt.active {
			s.endUnterminated()
		}
		s.block = false
		s.down = k == dirDown
	case dirBegin:
		if s.stmt.active && !s.block {
			s.endUnterminated()
		}
		s.block = true
	case dirEnd:
		if s.block && s.stmt.active {
			s.end(s.stmt.lastEnd)
		}
		s.block = false
	}
}

// backslash handles a '\' outside quotes. psql reads "\;" and "\:" as a
// literal ';' or ':' (a ';' that does not send the statement), and any
// other backslash as the start of a meta-command that runs to the end of
// the line. The meta-commands that send the query buffer end the
// statement; the others are not SQL and are left out of it.
func (s *splitter) backslash() {
	p := s.pos
	if next := s.at(p + 1); next == ';' || next == ':' {
		switch {
		case next == ';' && !s.stmt.active:
			// Like an empty statement.
			s.pos += 2
			s.lineClean = false
		case next == ';':
			s.innerSemicolon(p + 1)
		case s.stmt.active || s.begin(p):
			s.emitCode(":", p+2)
		}
		return
	}
	e := len(s.src)
	if j := strings.IndexByte(s.src[p:], '\n'); j >= 0 {
		e = p + j
	}
	name := p + 1
	for name < e && isIdentStart(s.src[name]) {
		name++
	}
	s.pos = e
	s.lineClean = false
	s.stmt.needSpace = true
	s.stmt.cont = contNone
	if s.stmt.active && sendsBuffer(s.src[p+1:name]) {
		s.endUnterminated()
	}
}

// sendsBuffer says whether psql's meta-command sends the query buffer to
// the server, i.e. ends the statement like a ';'.
func sendsBuffer(name string) bool {
	switch name {
	case "g", "gx", "gset", "gexec", "gdesc", "watch", "crosstabview":
		return true
	}
	return false
}
