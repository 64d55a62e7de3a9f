package migration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/mergeguard/mergeguard/internal/sqlsplit"
)

const (
	maxTextBytes    = 1000
	maxNonUTF8Lines = 100
	maxNotes        = 100
	// maxResplits bounds how often recovery restarts the splitter after
	// an unterminated quote; each restart rescans the rest of the file.
	maxResplits = 200
)

// Project reads one migration file: its bytes as stored at the head
// commit and its path in the repository. It never fails and never
// panics: what cannot be read is described in the result (parse-error
// statements, Limit, Notes). ctx cancels the reading like the budget does.
func Project(ctx context.Context, path string, content []byte, opt Options) *File {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.Budget <= 0 {
		opt.Budget = DefaultBudget
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	f := &File{Path: path, Bytes: len(content), Statements: []Statement{}, Kinds: map[string][]int{}, Actions: map[string][][2]int{}, Ignores: []Ignore{},
		FileIgnores: []string{}, NonUTF8Lines: []int{}, Notes: []Note{}}
	if len(content) > opt.MaxBytes {
		f.Limit = &Limit{Reason: "size", Line: 1, Message: fmt.Sprintf(
			"the file is %d bytes, more than the %d read; none of it was checked", len(content), opt.MaxBytes)}
		f.Tool, f.Transaction = toolOf(path, nil, opt)
		return f
	}
	// The budget is for reading this file, so it starts once the parser is
	// compiled: right after start-up the first file would otherwise spend
	// it waiting for the compile and be reported unread.
	if err := Ready(ctx); err != nil {
		f.Limit = &Limit{Reason: "parser", Line: 1, Message: fmt.Sprintf(
			"PostgreSQL's parser was not available (%v); none of the file was checked", err)}
		f.Tool, f.Transaction = toolOf(path, nil, opt)
		return f
	}
	p := &projector{f: f, opt: opt, ctx: ctx, deadline: opt.Now().Add(opt.Budget)}
	p.prepare(content)
	f.Lines = p.lines.count()
	f.Tool, f.Transaction = toolOf(path, p.comments, opt)
	p.readComments()
	p.parse()
	p.modelTransactions()
	p.attachIgnores()
	f.index()
	return f
}

// index fills Kinds and Actions from Statements.
func (f *File) index() {
	for i, st := range f.Statements {
		f.Kinds[st.Kind] = append(f.Kinds[st.Kind], i)
		if st.Kind != "alter_table" || st.AlterTable == nil {
			continue
		}
		for k, cmd := range st.AlterTable.Commands {
			f.Actions[cmd.Action] = append(f.Actions[cmd.Action], [2]int{i, k})
		}
	}
}

type projector struct {
	f        *File
	opt      Options
	ctx      context.Context //nolint:containedctx // lives for one Project call only
	deadline time.Time

	// src is the file as given to the parser: valid UTF-8, no NUL, COPY
	// data and psql meta-commands blanked (same length as the file, so
	// offsets and lines are the file's).
	src      string
	lines    lineIndex
	comments []commentLine
	// copyBlocks are the COPY data blocks blanked in src.
	copyBlocks []copyBlock
	// down are the line ranges of down migrations.
	down []lineRange
}

type copyBlock struct {
	stmtLine  int // the line of the COPY statement's end
	dataLines int
}

type lineRange struct{ from, to int }

// prepare makes src from the file's bytes.
func (p *projector) prepare(content []byte) {
	buf := make([]byte, len(content))
	copy(buf, content)
	p.lines = newLineIndex(buf)
	// Bytes that are not UTF-8 become '?' and NUL becomes a space: the
	// parser takes a C string of UTF-8. One byte for one keeps offsets.
	for i := 0; i < len(buf); {
		c := buf[i]
		if c == 0 {
			buf[i] = ' '
			i++
			continue
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(buf[i:])
		if r == utf8.RuneError && size == 1 {
			buf[i] = '?'
			if n := len(p.f.NonUTF8Lines); n < maxNonUTF8Lines && (n == 0 || p.f.NonUTF8Lines[n-1] != p.lines.line(i)) {
				p.f.NonUTF8Lines = append(p.f.NonUTF8Lines, p.lines.line(i))
			}
		}
		i += size
	}
	p.blankLines(buf)
	p.src = string(buf)
}

// blankLines finds, line by line, what is not SQL for the parser: the
// data of COPY ... FROM stdin up to its "\." line, and psql
// meta-commands (a line starting with a backslash). They are replaced by
// spaces. It also collects the "--" comment lines.
func (p *projector) blankLines(buf []byte) {
	n := p.lines.count()
	for ln := 1; ln <= n; ln++ {
		s, e := p.lines.span(ln)
		line := buf[s:e]
		trimmed := bytes.TrimSpace(line)
		switch {
		case bytes.HasPrefix(trimmed, []byte("--")):
			p.comments = append(p.comments, commentLine{line: ln, text: strings.TrimSpace(string(trimmed[2:]))})
		case len(trimmed) > 0 && trimmed[0] == '\\':
			blank(line)
			p.note(ln, ln, "psql meta-command skipped: "+cut(string(trimmed), 80))
		case isCopyFromStdin(trimmed):
			end := ln + 1
			for end <= n {
				es, ee := p.lines.span(end)
				if string(bytes.TrimSpace(buf[es:ee])) == `\.` {
					break
				}
				end++
			}
			if end > n && !bytes.HasPrefix(bytes.ToLower(trimmed), []byte("copy")) {
				// No end marker and the line is not plainly a COPY:
				// perhaps the statement's text only mentions stdin.
				continue
			}
			if end > n {
				p.note(ln+1, n, "COPY ... FROM stdin has no \\. line: the rest of the file is read as its data")
			}
			last := min(end, n)
			ds, _ := p.lines.span(ln + 1)
			_, de := p.lines.span(last)
			if ln+1 <= n {
				blank(buf[ds:de])
			}
			p.copyBlocks = append(p.copyBlocks, copyBlock{stmtLine: ln, dataLines: max(0, min(end, n+1)-ln-1)})
			ln = last
		}
	}
}

// isCopyFromStdin is true for a line that ends a COPY ... FROM STDIN
// statement: a psql client then sends the lines that follow as data.
func isCopyFromStdin(trimmed []byte) bool {
	if !bytes.HasSuffix(trimmed, []byte(";")) {
		return false
	}
	low := bytes.ToLower(trimmed)
	return bytes.Contains(low, []byte("from stdin")) && !bytes.HasPrefix(low, []byte("--"))
}

func blank(b []byte) {
	for i, c := range b {
		if c != '\n' && c != '\r' {
			b[i] = ' '
		}
	}
}

func (p *projector) note(line, endLine int, msg string) {
	if len(p.f.Notes) < maxNotes {
		p.f.Notes = append(p.f.Notes, Note{Line: line, EndLine: endLine, Message: msg})
	}
}

// outOfTime reports whether the budget or ctx has run out, recording the
// limit at line.
func (p *projector) outOfTime(line int) bool {
	if p.f.Limit != nil {
		return true
	}
	if p.ctx.Err() == nil && p.opt.Now().Before(p.deadline) {
		return false
	}
	p.f.Limit = &Limit{Reason: "time", Line: line, Message: fmt.Sprintf(
		"reading the file took longer than %s; the statements from line %d on were not checked", p.opt.Budget, line)}
	return true
}

// rawStmt is a statement the parser read, with its byte span in src.
type rawStmt struct {
	node       *pg.Node
	start, end int
	// text is the SQL the node's locations are relative to, base its
	// offset in src.
	base int
}

// parse parses src whole (a large text in chunks, when they read exactly
// as the whole text does: see chunk.go); when PostgreSQL rejects a
// statement, the text before it is parsed whole, the statement becomes a
// parse error, and the parsing goes on after it, so one bad statement
// hides nothing else.
func (p *projector) parse() {
	pos, resplits := 0, 0
	for pos < len(p.src) {
		if p.outOfTime(p.lines.line(pos)) {
			return
		}
		if pos == 0 && len(p.src) >= chunkMinBytes && p.parseChunked() {
			return
		}
		res, err := parseSQL(p.src[pos:])
		if err == nil {
			p.projectAll(res, pos, len(p.src))
			return
		}
		var se *syntaxError
		if !errors.As(err, &se) && !errors.Is(err, errParserFault) {
			p.note(p.lines.line(pos), p.f.Lines, "the SQL parser could not be run: "+err.Error())
			return
		}
		if se == nil || se.Offset < 0 {
			p.recover(pos)
			return
		}
		// Find the statement the error is in, by the lexical rules.
		errAt := pos + se.Offset
		sub := p.src[pos:]
		r := sqlsplit.SplitFile(sub, 1)
		found := false
		lastEnd := pos
		for _, st := range r.Statements {
			rel := stringOffset(sub, st.Text)
			if rel < 0 {
				continue
			}
			start, end := pos+rel, pos+rel+len(st.Text)
			lastEnd = end
			if end <= errAt && end < len(p.src) {
				continue
			}
			found = true
			if start > pos && !p.parseChunk(pos, start) {
				p.recoverRange(pos, start)
			}
			if p.outOfTime(p.lines.line(start)) {
				return
			}
			p.parseOne(start, end)
			pos = end
			if st.Incomplete && resplits < maxResplits {
				// An unterminated quote took the rest of the file for
				// PostgreSQL too; go on from the next line instead.
				resplits++
				_, e := p.lines.span(p.lines.line(start))
				pos = min(len(p.src), e+1)
			}
			break
		}
		if !found {
			if r.Truncated && lastEnd > pos {
				// The error is past the splitter's statement bound:
				// what it returned parses, go on after it.
				if !p.parseChunk(pos, lastEnd) {
					p.recoverRange(pos, lastEnd)
				}
				pos = lastEnd
				continue
			}
			p.recover(pos)
			return
		}
	}
}

// projectAll projects the statements of a parse of src[base:limit].
func (p *projector) projectAll(res *pg.ParseResult, base, limit int) {
	for _, rs := range res.GetStmts() {
		start, end := p.span(base, int(rs.GetStmtLocation()), int(rs.GetStmtLen()), limit)
		if start >= end {
			continue
		}
		if p.outOfTime(p.lines.line(start)) {
			return
		}
		p.project(rawStmt{node: rs.GetStmt(), start: start, end: end})
	}
}

// parseChunk parses src[start:end] whole and projects it; false when it
// does not parse (nothing is projected then).
func (p *projector) parseChunk(start, end int) bool {
	res, err := parseSQL(p.src[start:end])
	if err != nil {
		return false
	}
	p.projectAll(res, start, end)
	return true
}

// span turns a statement's location and length (relative to base; a
// length of 0 means "to the end") into its byte span in src, from its
// first token to its ';'.
func (p *projector) span(base, loc, length, limit int) (int, int) {
	start := base + loc
	end := limit
	if length > 0 {
		end = min(limit, start+length)
	}
	start = skipSpaceAndComments(p.src, start, end)
	end = trimRight(p.src, start, end)
	if end > start && p.src[end-1] != ';' && end < len(p.src) && p.src[end] == ';' {
		end++
	}
	return start, end
}

// recoverRange parses src[start:end] statement by statement.
func (p *projector) recoverRange(start, end int) {
	sub := p.src[start:end]
	r := sqlsplit.SplitFile(sub, 1)
	for _, st := range r.Statements {
		rel := stringOffset(sub, st.Text)
		if rel < 0 {
			continue
		}
		if p.outOfTime(p.lines.line(start + rel)) {
			return
		}
		p.parseOne(start+rel, start+rel+len(st.Text))
	}
}

// recover splits src from pos into statements by the lexical rules and
// parses each alone: the fallback when PostgreSQL's error does not say
// where it is. A statement that ends inside an unterminated quote swallows
// the rest of the file for the splitter; the split then restarts on the
// line after it so that what follows is still read.
func (p *projector) recover(pos int) {
	resplits := 0
	for pos < len(p.src) {
		sub := p.src[pos:]
		r := sqlsplit.SplitFile(sub, 1)
		restart, lastEnd := -1, pos
		for _, st := range r.Statements {
			rel := stringOffset(sub, st.Text)
			if rel < 0 {
				continue
			}
			off := pos + rel
			end := off + len(st.Text)
			if p.outOfTime(p.lines.line(off)) {
				return
			}
			ok := p.parseOne(off, end)
			lastEnd = end
			if !ok && st.Incomplete && resplits < maxResplits {
				resplits++
				_, e := p.lines.span(p.lines.line(off))
				restart = e + 1
				break
			}
		}
		switch {
		case restart > pos:
			pos = restart
		case r.Truncated && lastEnd > pos:
			// The splitter stops at its statement bound; go on after
			// the last statement it returned.
			pos = lastEnd
		default:
			return
		}
	}
}

// parseOne parses src[start:end] alone; it reports whether it parsed.
func (p *projector) parseOne(start, end int) bool {
	text := p.src[start:end]
	res, err := parseSQL(text)
	if err != nil {
		line := p.lines.line(start)
		msg := err.Error()
		var se *syntaxError
		if errors.As(err, &se) && se.Offset >= 0 {
			line = p.lines.line(start + se.Offset)
		}
		p.add(Statement{Kind: "parse_error", Line: p.lines.line(start), EndLine: p.lines.line(max(start, end-1)),
			Text: cut(text, maxTextBytes), Error: &ParseError{Message: msg, Line: line}})
		return false
	}
	for _, rs := range res.GetStmts() {
		s, e := p.span(start, int(rs.GetStmtLocation()), int(rs.GetStmtLen()), end)
		if s >= e {
			continue
		}
		p.project(rawStmt{node: rs.GetStmt(), start: s, end: e, base: start})
	}
	return true
}

// stringOffset is the offset of sub within s; sqlsplit documents its
// statements' Text as substrings of its input, so the pointers tell.
func stringOffset(s, sub string) int {
	if len(sub) == 0 {
		return -1
	}
	d := int(uintptr(unsafe.Pointer(unsafe.StringData(sub))) - uintptr(unsafe.Pointer(unsafe.StringData(s))))
	if d < 0 || d+len(sub) > len(s) {
		return -1
	}
	return d
}

// add appends a statement, numbering it and marking down migrations.
func (p *projector) add(st Statement) int {
	st.Index = len(p.f.Statements)
	for _, r := range p.down {
		if st.Line >= r.from && st.Line <= r.to {
			st.Down = true
		}
	}
	if st.Ignores == nil {
		st.Ignores = []Ignore{}
	}
	p.f.Statements = append(p.f.Statements, st)
	return st.Index
}

// skipSpaceAndComments returns the offset of the first token at or after
// i (before end): libpg_query's statement locations include the
// whitespace and comments that precede the statement.
func skipSpaceAndComments(s string, i, end int) int {
	for i < end {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < end && s[i+1] == '-':
			nl := strings.IndexByte(s[i:end], '\n')
			if nl < 0 {
				return end
			}
			i += nl + 1
		case c == '/' && i+1 < end && s[i+1] == '*':
			depth := 0
			for i < end {
				if i+1 < end && s[i] == '/' && s[i+1] == '*' {
					depth++
					i += 2
				} else if i+1 < end && s[i] == '*' && s[i+1] == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		default:
			return i
		}
	}
	return i
}

func trimRight(s string, start, end int) int {
	for end > start {
		switch s[end-1] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			end--
		default:
			return end
		}
	}
	return end
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// lineIndex maps byte offsets to 1-based lines. Lines end at '\n', so a
// CRLF file counts like an LF one.
type lineIndex struct {
	starts []int // offset of each line's first byte
	size   int
}

func newLineIndex(b []byte) lineIndex {
	li := lineIndex{starts: []int{0}, size: len(b)}
	for i, c := range b {
		if c == '\n' && i+1 < len(b) {
			li.starts = append(li.starts, i+1)
		}
	}
	return li
}

func (li lineIndex) count() int {
	if li.size == 0 {
		return 0
	}
	return len(li.starts)
}

// line is the line of offset off.
func (li lineIndex) line(off int) int {
	return sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off })
}

// span is the byte span of line ln without its line break.
func (li lineIndex) span(ln int) (int, int) {
	if ln < 1 || ln > len(li.starts) {
		return li.size, li.size
	}
	s := li.starts[ln-1]
	e := li.size
	if ln < len(li.starts) {
		e = li.starts[ln] - 1
	}
	return s, e
}
