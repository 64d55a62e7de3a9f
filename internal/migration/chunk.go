package migration

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/mergeguard/mergeguard/internal/sqlsplit"
)

// A large file is parsed in chunks, so that the module parses chunk k+1
// (under parseMu, on another goroutine) while chunk k is decoded and
// projected on the caller's: for the 5,000-statement benchmark the
// module's JSON parse (about 33 ms) and the decoding plus projection
// (about 35 ms) take about as long as each other, and with two cores the
// file is read in about 45 ms instead of 70.
//
// The chunks end after a statement's ';' as sqlsplit reads it. That split
// is lexical, so it is checked against PostgreSQL's own reading: every
// chunk must parse, and the last statement of every chunk but the last
// must end at the chunk's final ';' (the statement's length reaches it,
// which the grammar sets only when that ';' is a token ending a top-level
// statement). Then PostgreSQL, reading the whole text, would lex the
// chunk's tokens alike, be between two statements after that ';', and
// read the rest as it reads the next chunk alone: the statements, their
// spans and their trees are those of the whole-text parse. When a chunk
// fails to parse or the check fails, nothing of the chunked reading is
// kept and the file is read whole, with the usual error recovery: a file
// with a syntax error pays for the chunks read before it once more.
var (
	// chunkMinBytes is the smallest text parsed in chunks. At 64 KiB the
	// chunks save about a third (16 ms to 10 ms); at 32 KiB about 2 ms,
	// against up to twice the time for a file with a syntax error near
	// its end; at 16 KiB nothing.
	chunkMinBytes = 64 << 10
	// chunkBytes is the size a chunk is cut at (at the first statement
	// end past it). The pipeline takes about as long as its longer stage
	// plus the first chunk's parse: 8 KiB to 24 KiB chunks read the
	// benchmark alike (41-46 ms), 32 KiB ones a few milliseconds slower.
	chunkBytes = 16 << 10
)

// chunkEnds returns where the chunks of src[from:to] end (offsets in src)
// when cut at the first statement end at least size bytes past the
// previous cut, at most n of them; also whether the splitter stopped at
// its statement bound before to. from is 0 or the end of a chunk: the
// splitter reads on from there as from the start of a file (and if it
// did not, the check in parseChunked would notice).
func chunkEnds(src string, from, to, size, n int) (ends []int, truncated bool) {
	sub := src[from:to]
	r := sqlsplit.SplitFile(sub, 1)
	start := from
	for _, st := range r.Statements {
		if len(ends) == n {
			return ends, false
		}
		if st.Incomplete || !strings.HasSuffix(st.Text, ";") {
			continue
		}
		rel := stringOffset(sub, st.Text)
		if rel < 0 {
			continue
		}
		end := from + rel + len(st.Text)
		if end-start >= size && len(src)-end >= max(size/2, 1) {
			ends = append(ends, end)
			start = end
		}
	}
	return ends, r.Truncated
}

// chunkBounds returns the offsets in src at which chunks end, the last
// being len(src); nil when the text does not split into two chunks. The
// first is found by splitting only the start of the text, so that its
// parse can begin while the rest is split: first is called with it.
func chunkBounds(src string, size int, first func(end int)) []int {
	ends, _ := chunkEnds(src, 0, min(len(src), 4*size), size, 1)
	if len(ends) == 0 {
		// A first chunk longer than the window: split it all.
		ends, _ = chunkEnds(src, 0, len(src), size, 1)
		if len(ends) == 0 {
			return nil
		}
	}
	first(ends[0])
	for {
		from := ends[len(ends)-1]
		more, truncated := chunkEnds(src, from, len(src), size, len(src))
		ends = append(ends, more...)
		if !truncated || len(more) == 0 {
			break
		}
	}
	return append(ends, len(src))
}

// parseChunked reads src in chunks (see chunkBounds) and reports whether
// it did. When it did not, it has added nothing to the file: the caller
// then parses the text whole. A time limit reached while projecting ends
// the reading as in projectAll, and counts as read.
func (p *projector) parseChunked() bool {
	// Each chunk but the last is at least chunkBytes long.
	most := len(p.src)/max(chunkBytes, 1) + 2
	jobs := make(chan [2]int, most)
	parsed := make(chan pendingParse, most) // never blocks the parsing goroutine
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			// startParse recovers from the module's panics itself;
			// anything else ends the chunked reading, never the process.
			if r := recover(); r != nil {
				parsed <- pendingParse{err: fmt.Errorf("%w: %v", errParserFault, r)}
			}
		}()
		for job := range jobs {
			select {
			case <-stop:
				return
			default:
			}
			parsed <- startParse(p.src[job[0]:job[1]])
		}
	}()
	defer func() {
		close(stop)
		<-done
	}()
	bounds := chunkBounds(p.src, chunkBytes, func(end int) { jobs <- [2]int{0, end} })
	if bounds != nil {
		for k := 1; k < len(bounds); k++ {
			jobs <- [2]int{bounds[k-1], bounds[k]}
		}
	}
	close(jobs)
	if bounds == nil {
		return false
	}

	nStmts, nNotes := len(p.f.Statements), len(p.f.Notes)
	start := 0
	for k, end := range bounds {
		pp := <-parsed
		ok := pp.src == p.src[start:end]
		if ok {
			res, err := pp.finish()
			ok = err == nil && (k == len(bounds)-1 || endsAtLastByte(res, end-start))
			if ok {
				p.projectAll(res, start, len(p.src))
			}
		}
		if !ok {
			clear(p.f.Statements[nStmts:])
			p.f.Statements = p.f.Statements[:nStmts]
			p.f.Notes = p.f.Notes[:nNotes]
			return false
		}
		if p.f.Limit != nil {
			return true
		}
		start = end
	}
	return true
}

// endsAtLastByte reports whether the last statement of a parse of a text
// of n bytes ends at its last byte: PostgreSQL read that byte as the ';'
// that ends a top-level statement.
func endsAtLastByte(res *pg.ParseResult, n int) bool {
	stmts := res.GetStmts()
	if len(stmts) == 0 {
		return false
	}
	last := stmts[len(stmts)-1]
	return last.GetStmtLen() > 0 && int(last.GetStmtLocation())+int(last.GetStmtLen()) == n-1
}
