package sqlsplit

import "strings"

// The lexical rules below are PostgreSQL's (the SQL lexer, scan.l, with
// standard_conforming_strings on, the default since 9.1) as far as they
// decide where a statement ends and what Code shows; everything else is
// passed through byte by byte. Bytes that are not ASCII are identifier
// characters, as in PostgreSQL, so invalid UTF-8 needs no special case.

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentCont(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

// isTagCont says whether c continues a dollar-quote tag, which unlike an
// identifier cannot contain '$'.
func isTagCont(c byte) bool { return isIdentStart(c) || isDigit(c) }

// token reads one token starting at s.pos, starting a statement if none is
// being read.
func (s *splitter) token() {
	p := s.pos
	if !s.stmt.active && !s.begin(p) {
		return
	}
	c := s.src[p]
	switch {
	case c == '\'':
		s.stringLit(p+1, false, true)
	case c == '"':
		s.quotedIdent(p, p+1)
	case c == '$':
		s.dollar(p)
	case isIdentStart(c):
		s.word(p)
	case isDigit(c) || c == '.' && isDigit(s.at(p+1)):
		s.emit(p, s.number(p))
	case c == '(':
		s.stmt.parens++
		s.emit(p, p+1)
	case c == ')':
		if s.stmt.parens > 0 {
			s.stmt.parens--
		}
		s.emit(p, p+1)
	default:
		s.emit(p, p+1)
	}
}

// number finds the end of a numeric constant starting at p: digits, a
// fraction, an exponent, and any identifier characters stuck to it, which
// PostgreSQL reads as part of the (then invalid) number rather than as a
// new token; so "1e'x'" holds no E'...' string. Underscores and the 0x, 0o,
// 0b prefixes of PostgreSQL 16 are identifier characters here, with the
// same effect.
func (s *splitter) number(p int) int {
	src := s.src
	e := p
	for e < len(src) && isDigit(src[e]) {
		e++
	}
	if e < len(src) && src[e] == '.' && !(e+1 < len(src) && src[e+1] == '.') {
		e++
		for e < len(src) && isDigit(src[e]) {
			e++
		}
	}
	if e < len(src) && src[e]|0x20 == 'e' {
		d := e + 1
		if d < len(src) && (src[d] == '+' || src[d] == '-') {
			d++
		}
		if d < len(src) && isDigit(src[d]) {
			for e = d; e < len(src) && isDigit(src[e]); e++ {
			}
		}
	}
	if e < len(src) && isIdentStart(src[e]) {
		for e < len(src) && isIdentCont(src[e]) {
			e++
		}
	}
	return e
}

// quoted finds the end of a literal or quoted identifier whose body starts
// at i and which closes with q; a doubled q stands for itself and, in an
// E'...' string, a backslash escapes the next byte. It returns the position
// after the closing quote, or the end of the input and false.
func (s *splitter) quoted(i int, q byte, backslash bool) (int, bool) {
	src := s.src
	for i < len(src) {
		if !backslash {
			j := strings.IndexByte(src[i:], q)
			if j < 0 {
				break
			}
			i += j
		}
		switch src[i] {
		case '\\':
			if backslash {
				i += 2
				continue
			}
		case q:
			if i+1 < len(src) && src[i+1] == q {
				i += 2
				continue
			}
			return i + 1, true
		}
		i++
	}
	return len(src), false
}

// stringLit reads a string literal whose body starts at i.
func (s *splitter) stringLit(i int, backslash, plain bool) {
	e, ok := s.quoted(i, '\'', backslash)
	s.emitString(plain, e)
	if !ok {
		s.unterminated()
	}
}

// quotedIdent reads a quoted identifier starting at p (its U& prefix
// included) whose body starts at i; Code keeps it as written.
func (s *splitter) quotedIdent(p, i int) {
	e, ok := s.quoted(i, '"', false)
	s.emit(p, e)
	if !ok {
		s.unterminated()
	}
}

// dollar reads what starts with '$': a parameter ($1), a dollar quote
// ($$...$$, $tag$...$tag$), or a lone '$'.
func (s *splitter) dollar(p int) {
	src := s.src
	i := p + 1
	if i < len(src) && isDigit(src[i]) {
		for i < len(src) && isDigit(src[i]) {
			i++
		}
		// As with numbers, identifier characters stuck to a parameter
		// belong to it: "$1E'x'" holds no E'...' string.
		if i < len(src) && isIdentStart(src[i]) {
			for i < len(src) && isIdentCont(src[i]) {
				i++
			}
		}
		s.emit(p, i)
		return
	}
	if i < len(src) && isIdentStart(src[i]) {
		for i < len(src) && isTagCont(src[i]) {
			i++
		}
	}
	if i >= len(src) || src[i] != '$' {
		s.emit(p, p+1)
		return
	}
	// The body ends at the first occurrence of the opening delimiter,
	// which is also where PostgreSQL's lexer ends it.
	delim := src[p : i+1]
	body := i + 1
	k := strings.Index(src[body:], delim)
	if k < 0 {
		s.emitCode("$$ $$", len(src))
		s.unterminated()
		return
	}
	s.emitCode("$$ $$", body+k+len(delim))
}

// word reads an identifier or keyword starting at p, or a string literal
// or quoted identifier with a one-letter prefix (E'...', B'...',
// X'...', N'...', U&'...', U&"...").
func (s *splitter) word(p int) {
	src := s.src
	e := p + 1
	for e < len(src) && isIdentCont(src[e]) {
		e++
	}
	if e == p+1 {
		next := s.at(e)
		switch src[p] | 0x20 {
		case 'e':
			if next == '\'' {
				s.stringLit(e+1, true, false)
				return
			}
		case 'b', 'x', 'n':
			if next == '\'' {
				s.stringLit(e+1, false, false)
				return
			}
		case 'u':
			if next == '&' && s.at(e+1) == '\'' {
				s.stringLit(e+2, false, false)
				return
			}
			if next == '&' && s.at(e+1) == '"' {
				s.quotedIdent(p, e+2)
				return
			}
		}
	}
	s.trackBegin(src[p:e])
	s.emit(p, e)
}

// trackBegin follows psql's heuristic for SQL-standard function bodies:
// in a statement whose first words outside parentheses are CREATE [OR
// REPLACE] FUNCTION|PROCEDURE, BEGIN outside parentheses opens a body that
// END closes (and CASE, inside one, opens a CASE ... END), and a ';'
// inside the body does not end the statement. Words inside parentheses
// count for nothing.
func (s *splitter) trackBegin(w string) {
	st := &s.stmt
	if st.parens > 0 {
		return
	}
	if st.words < len(st.lead) {
		for _, k := range [...]string{"create", "or", "replace", "function", "procedure"} {
			if strings.EqualFold(w, k) {
				st.lead[st.words] = k[0]
				break
			}
		}
	}
	st.words++
	l := st.lead
	routine := l[0] == 'c' && (l[1] == 'f' || l[1] == 'p' || l[1] == 'o' && l[2] == 'r' && (l[3] == 'f' || l[3] == 'p'))
	if !routine {
		return
	}
	switch {
	case strings.EqualFold(w, "begin"):
		st.beginDepth++
	case strings.EqualFold(w, "case"):
		if st.beginDepth > 0 {
			st.beginDepth++
		}
	case strings.EqualFold(w, "end"):
		if st.beginDepth > 0 {
			st.beginDepth--
		}
	}
}

// lineComment reads a -- comment, which runs to the end of the line (a
// '\n' or '\r', as in PostgreSQL); it may be a directive.
func (s *splitter) lineComment() {
	p := s.pos
	e := len(s.src)
	if j := strings.IndexAny(s.src[p+2:], "\r\n"); j >= 0 {
		e = p + 2 + j
	}
	clean := s.lineClean
	s.pos = e
	s.stmt.needSpace = true
	s.comment(p, strings.TrimSpace(s.src[p+2:e]), clean)
}

// blockComment reads a /* */ comment; they nest.
func (s *splitter) blockComment() {
	src := s.src
	p := s.pos
	depth := 0
	i := p
	for i < len(src) {
		switch {
		case src[i] == '/' && i+1 < len(src) && src[i+1] == '*':
			depth++
			i += 2
		case src[i] == '*' && i+1 < len(src) && src[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				s.pos = i
				s.lineClean = false
				s.stmt.needSpace = true
				s.stmt.cont = contNone
				return
			}
		default:
			i++
		}
	}
	// Unterminated: it swallows the rest of the input. Where no statement
	// is being read it becomes one, so that the rules see something they
	// could not read rather than nothing.
	if !s.stmt.active && !s.begin(p) {
		return
	}
	s.tokenEnd(len(src))
	s.unterminated()
}
