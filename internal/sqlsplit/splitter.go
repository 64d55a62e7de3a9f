package sqlsplit

import "strings"

// splitter walks the input once, left to right. Between statements it
// skips whitespace, comments and psql meta-commands, collecting ignore and
// tool directives; the first other byte starts a statement, which lasts
// until a ';' that ends it (or a directive, a sending psql meta-command or
// the end of the input).
type splitter struct {
	src string
	pos int

	// lcLine is the line of byte lc; lineAt moves this cursor, so that
	// finding the line of each position costs no more than one pass.
	lc, lcLine int

	res     Result
	stopped bool // MaxStatements reached

	down      bool // in a down migration
	block     bool // between goose StatementBegin and StatementEnd
	lineClean bool // nothing but whitespace yet on the current line
	pending   []Ignore
	// ignoreCount is the number of ignores attached to statements.
	ignoreCount int

	stmt stmtState
}

// stmtState is the statement being read.
type stmtState struct {
	active     bool
	start      int
	line       int
	lastEnd    int // end of its last token
	down       bool
	incomplete bool

	code      []byte
	needSpace bool // whitespace or a comment since the last token
	cont      int  // string continuation: see emitString
	// semiTail is where in code the trailing run of ';' tokens starts, or
	// -1: the ';' that closes a block is not part of Code.
	semiTail int

	// psql's heuristic for where ';' ends a statement: not inside
	// parentheses, not inside the BEGIN ... END of CREATE FUNCTION or
	// CREATE PROCEDURE (a SQL-standard body, BEGIN ATOMIC).
	parens     int
	beginDepth int
	words      int
	lead       [4]byte // first letters of the leading CREATE/OR/REPLACE/FUNCTION/PROCEDURE words
}

const (
	contNone    = iota
	contString  // a plain string literal was the last token
	contNewline // ... and a newline followed it
)

func (s *splitter) run() {
	if strings.HasPrefix(s.src, "\ufeff") {
		s.pos = len("\ufeff")
	}
	for s.pos < len(s.src) && !s.stopped {
		c := s.src[s.pos]
		switch {
		case isSpace(c):
			s.whitespace(c)
		case c == '-' && s.at(s.pos+1) == '-':
			s.lineComment()
		case c == '/' && s.at(s.pos+1) == '*':
			s.blockComment()
		case c == '\\':
			s.backslash()
		case c == ';':
			s.semicolon()
		default:
			s.token()
		}
	}
	s.finish()
}

// at is the byte at i, or 0 past the end.
func (s *splitter) at(i int) byte {
	if i < len(s.src) {
		return s.src[i]
	}
	return 0
}

// lineAt is the line of byte p. Positions are asked for almost in order,
// so the cursor moves a short way each time.
func (s *splitter) lineAt(p int) int {
	if p >= s.lc {
		s.lcLine += strings.Count(s.src[s.lc:p], "\n")
	} else {
		s.lcLine -= strings.Count(s.src[p:s.lc], "\n")
	}
	s.lc = p
	return s.lcLine
}

func (s *splitter) whitespace(c byte) {
	s.pos++
	s.stmt.needSpace = true
	if c == '\n' || c == '\r' {
		if s.stmt.cont == contString {
			s.stmt.cont = contNewline
		}
	}
	if c == '\n' {
		s.lineClean = true
	}
}

func (s *splitter) semicolon() {
	st := &s.stmt
	if !st.active {
		// An empty statement: nothing between two semicolons but
		// whitespace and comments. Its ignores stay pending.
		s.pos++
		s.lineClean = false
		return
	}
	if s.block || st.parens > 0 || st.beginDepth > 0 {
		s.innerSemicolon(s.pos)
		return
	}
	s.pos++
	s.end(s.pos)
}

// innerSemicolon adds a ';' at p that does not end the statement. Those
// at the very end of the statement are left out of Code all the same.
func (s *splitter) innerSemicolon(p int) {
	st := &s.stmt
	tail := st.semiTail
	if tail < 0 {
		tail = len(st.code)
	}
	s.emitCode(";", p+1)
	st.semiTail = tail
}

// begin starts a statement at p, or stops the split when there are
// already MaxStatements.
func (s *splitter) begin(p int) bool {
	if len(s.res.Statements) >= MaxStatements {
		s.res.Truncated = true
		s.stopped = true
		return false
	}
	code := s.stmt.code[:0]
	s.stmt = stmtState{active: true, start: p, line: s.lineAt(p), lastEnd: p, down: s.down, code: code, semiTail: -1}
	return true
}

// end ends the statement being read at e (exclusive).
func (s *splitter) end(e int) {
	st := &s.stmt
	code := st.code
	if st.semiTail >= 0 {
		code = code[:st.semiTail]
	}
	s.res.Statements = append(s.res.Statements, Statement{
		Text:       s.src[st.start:e],
		Code:       string(code),
		Line:       st.line,
		EndLine:    s.lineAt(e - 1),
		Ignores:    s.pending,
		Incomplete: st.incomplete,
		Down:       st.down,
	})
	s.ignoreCount += len(s.pending)
	s.pending = nil
	st.active = false
}

// endUnterminated ends the statement being read where no ';' ended it: at
// a migration directive or the end of the input. Open parentheses or an
// open BEGIN body mean it was cut short.
func (s *splitter) endUnterminated() {
	if s.stmt.parens > 0 || s.stmt.beginDepth > 0 || s.block {
		s.stmt.incomplete = true
	}
	s.end(s.stmt.lastEnd)
}

func (s *splitter) finish() {
	if s.stopped {
		return
	}
	if s.stmt.active {
		s.endUnterminated()
	}
	for _, ig := range s.pending {
		s.unattached(ig)
	}
	s.pending = nil
}

// emit adds the token src[a:b] to the statement as written.
func (s *splitter) emit(a, b int) {
	s.emitCode(s.src[a:b], b)
}

// emitCode adds a token that spans up to b to the statement, with code as
// its form in Code.
func (s *splitter) emitCode(code string, b int) {
	st := &s.stmt
	if st.needSpace && len(st.code) > 0 {
		st.code = append(st.code, ' ')
	}
	st.needSpace = false
	st.code = append(st.code, code...)
	st.cont = contNone
	st.semiTail = -1
	s.tokenEnd(b)
}

// emitString adds a string literal ending at b. PostgreSQL joins two plain
// string literals separated by whitespace with a newline into one, so the
// second of those adds nothing to Code.
func (s *splitter) emitString(plain bool, b int) {
	st := &s.stmt
	if plain && st.cont == contNewline {
		st.needSpace = false
		s.tokenEnd(b)
	} else {
		s.emitCode("''", b)
	}
	st.cont = contString
}

func (s *splitter) tokenEnd(b int) {
	s.stmt.lastEnd = b
	s.pos = b
	s.lineClean = false
}

// unterminated marks the statement as running into the end of the input.
func (s *splitter) unterminated() {
	s.stmt.incomplete = true
}
