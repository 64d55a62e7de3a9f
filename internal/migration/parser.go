package migration

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"unicode/utf8"

	pg "github.com/pganalyze/pg_query_go/v6"
	"github.com/wasilibs/go-pgquery"
	"github.com/wasilibs/go-pgquery/parser"
)

// The parser is libpg_query compiled to WebAssembly. Its first use
// compiles the module (about a second or two of CPU); go-pgquery keeps the
// instantiated module in a pool and reuses it, but a caller that finds the
// pool empty (because another call is in flight) compiles a fresh module
// of its own. Serialising every call through one mutex therefore means the
// module is compiled exactly once per process, and a test binary pays the
// compile once however many tests parse. A whole migration parses in
// milliseconds, so the serialisation costs little.
var (
	parseMu   sync.Mutex
	warmOnce  sync.Once
	warmDone  = make(chan struct{})
	warmError error
)

// compileMemoryLimit is the soft memory limit during the parser's compile
// (see Warm): below the compiler's live state, so that the collector runs
// whenever garbage accumulates.
const compileMemoryLimit = 64 << 20

// Warm compiles the parser in the background so that the first migration
// evaluated does not pay for it. It returns at once; call it at start-up.
// Calling it again does nothing.
func Warm() {
	warmOnce.Do(func() {
		go func() {
			// The compile's transient garbage, not its live state, sets
			// the process's peak: a soft memory limit while it runs makes
			// the collector keep the heap near the live state (a peak of
			// 245 MB instead of 263–280 MB) for about a second more of
			// start-up CPU. The limit is put back right after; a lower
			// one already set is left alone.
			prev := debug.SetMemoryLimit(-1)
			if prev > compileMemoryLimit {
				debug.SetMemoryLimit(compileMemoryLimit)
			}
			_, err := parseSQL("SELECT 1")
			debug.SetMemoryLimit(prev)
			// The compile's garbage (about 200 MB of compiler state for
			// a 10 MB module) would stay in the process's resident set
			// until the runtime gives it back in its own time; give it
			// back now, once, so the steady state is what a replica is
			// sized for.
			debug.FreeOSMemory()
			warmError = err
			close(warmDone)
		}()
	})
}

// Ready waits until the parser compiled by Warm is usable (for a readiness
// probe) and returns the compile's error, if any. It starts Warm itself
// when nobody has.
func Ready(ctx context.Context) error {
	Warm()
	select {
	case <-warmDone:
	default:
		// Not compiled yet: wait for it or for ctx. Once compiled, the
		// answer is the compile's, whatever ctx says by then.
		select {
		case <-warmDone:
		case <-ctx.Done():
			return fmt.Errorf("waiting for the migration parser: %w", ctx.Err())
		}
	}
	if warmError != nil {
		return fmt.Errorf("migration parser: %w", warmError)
	}
	return nil
}

// syntaxError is PostgreSQL's complaint about a statement.
type syntaxError struct {
	Message string
	// Offset is the byte offset in the parsed text where PostgreSQL
	// points, -1 when it points nowhere.
	Offset int
}

func (e *syntaxError) Error() string { return e.Message }

// errParserFault is returned when the parser itself failed (a trap in the
// WebAssembly module or a fault reading its memory) rather than rejecting
// the SQL.
var errParserFault = errors.New("the SQL parser failed on this input")

// jsonParseMaxBytes is the largest text parsed through libpg_query's JSON
// (see jsontree.go); larger texts take the protobuf path. The JSON is
// about 11 times the SQL, and it is built in the module's linear memory,
// which never shrinks (the pooled module keeps its high-water mark for
// the life of the process), then copied into Go. At 0.9 MB of SQL the
// JSON path peaks at about 150 MB resident against 120 MB for the
// protobuf path (from 40 MB after start-up), below the parser's compile
// peak of about 245 MB; a file at DefaultMaxBytes would need some 110 MB
// of JSON on each side. 1 MiB keeps the cost bounded while leaving
// ordinary migrations, and the 5,000-statement benchmark's 0.3 MB, on
// the fast path.
const jsonParseMaxBytes = 1 << 20

// parseSQL parses src as a list of statements. A syntax error is a
// *syntaxError; any other error means the parser could not be run.
//
// The tree is the one pg_query.Parse builds. Texts up to
// jsonParseMaxBytes are read from libpg_query's JSON, in less than half
// the time; when that JSON cannot be decoded (or the module fails writing
// it), the text is parsed again on the protobuf path, whose answer is
// then the answer. The decoding runs outside parseMu.
func parseSQL(src string) (*pg.ParseResult, error) {
	return startParse(src).finish()
}

// pendingParse is a parse whose part under parseMu (the module's JSON) is
// done and whose decoding is not: parseSQL in two steps, so that the
// decoding of one text can run while the module parses the next.
type pendingParse struct {
	src string
	js  string
	err error
}

// startParse runs the part of parseSQL that needs the module.
func startParse(src string) pendingParse {
	if len(src) > jsonParseMaxBytes {
		return pendingParse{src: src}
	}
	js, err := parseToJSON(src)
	return pendingParse{src: src, js: js, err: err}
}

// finish completes parseSQL: it decodes the JSON, or falls back to the
// protobuf path as parseSQL describes.
func (pp pendingParse) finish() (*pg.ParseResult, error) {
	if len(pp.src) <= jsonParseMaxBytes {
		if pp.err == nil {
			if res, err := decodeTree(pp.js); err == nil {
				return res, nil
			}
		} else if se := (*syntaxError)(nil); errors.As(pp.err, &se) {
			// PostgreSQL's error: the protobuf path would give
			// the same one, from the same raw parse.
			return nil, pp.err
		}
	}
	return parseProtobuf(pp.src)
}

// inModule calls f, a call into the WebAssembly module, under parseMu.
// go-pgquery panics when the module traps; input must never crash the
// process, so a panic becomes an errParserFault.
func inModule[T any](f func() (T, error)) (out T, err error) {
	parseMu.Lock()
	defer parseMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			var zero T
			out, err = zero, fmt.Errorf("%w: %v", errParserFault, r)
		}
	}()
	return f()
}

// parseInModule runs parse on src in the module; the module's own error is
// PostgreSQL's complaint about src (asSyntaxError).
func parseInModule[T any](src string, parse func(string) (T, error)) (T, error) {
	out, err := inModule(func() (T, error) { return parse(src) })
	if err != nil && !errors.Is(err, errParserFault) {
		var zero T
		return zero, asSyntaxError(src, err)
	}
	return out, err
}

// parseToJSON runs libpg_query's parse to JSON.
func parseToJSON(src string) (string, error) {
	return parseInModule(src, parser.ParseToJSON)
}

// decodeTree is decodeParseTree with a recover: the decoder is meant never
// to panic (FuzzDecodeParseTree), but if it did on some input, that input
// would take the protobuf path rather than fail.
func decodeTree(js string) (res *pg.ParseResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%w: panic: %v", errTreeJSON, r)
		}
	}()
	return decodeParseTree(js)
}

// parseProtobuf parses src through libpg_query's protobuf output, as
// pg_query.Parse does.
func parseProtobuf(src string) (*pg.ParseResult, error) {
	return parseInModule(src, pg_query.Parse)
}

// parsePlpgsql parses a CREATE FUNCTION statement whose language is
// PL/pgSQL and returns libpg_query's JSON for the function body.
func parsePlpgsql(src string) (string, error) {
	return parseInModule(src, pg_query.ParsePlPgSqlToJSON)
}

// deparse renders a parse tree back to SQL, for showing expressions.
func deparse(tree *pg.ParseResult) (string, error) {
	out, err := inModule(func() (string, error) { return pg_query.Deparse(tree) })
	if err != nil && !errors.Is(err, errParserFault) {
		return "", fmt.Errorf("deparsing: %w", err)
	}
	return out, err
}

// asSyntaxError converts libpg_query's error, whose cursor position is a
// 1-based count of characters, to a byte offset into src.
func asSyntaxError(src string, err error) error {
	var pe *parser.Error
	if !errors.As(err, &pe) {
		return fmt.Errorf("parsing: %w", err)
	}
	return &syntaxError{Message: pe.Message, Offset: charToByte(src, pe.Cursorpos-1)}
}

// charToByte returns the byte offset of the n-th character (0-based) of
// s, or -1 when n is negative or past the end.
func charToByte(s string, n int) int {
	if n < 0 {
		return -1
	}
	i := 0
	for k := 0; k < n; k++ {
		if i >= len(s) {
			return -1
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	if i >= len(s) {
		return len(s)
	}
	return i
}
