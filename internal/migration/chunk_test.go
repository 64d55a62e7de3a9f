package migration

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// withChunking sets the chunking thresholds for one test.
func withChunking(t testing.TB, minBytes, size int) {
	t.Helper()
	prevMin, prevSize := chunkMinBytes, chunkBytes
	chunkMinBytes, chunkBytes = minBytes, size
	t.Cleanup(func() { chunkMinBytes, chunkBytes = prevMin, prevSize })
}

// projectChunked is Project with the chunking thresholds given, and its
// result as JSON.
func projectChunked(t testing.TB, path string, content []byte, minBytes, size int) (*File, string) {
	t.Helper()
	prevMin, prevSize := chunkMinBytes, chunkBytes
	chunkMinBytes, chunkBytes = minBytes, size
	defer func() { chunkMinBytes, chunkBytes = prevMin, prevSize }()
	f := Project(context.Background(), path, content, Options{})
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return f, string(b)
}

// projectJSON is projectChunked's JSON.
func projectJSON(t testing.TB, path string, content []byte, minBytes, size int) string {
	t.Helper()
	_, js := projectChunked(t, path, content, minBytes, size)
	return js
}

// hasParseError reports whether a file has a statement that did not parse.
func hasParseError(f *File) bool {
	for _, st := range f.Statements {
		if st.Kind == "parse_error" {
			return true
		}
	}
	return false
}

// chunkSizes are the chunk sizes the comparisons try: every statement a
// chunk of its own, a few statements, and the default.
var chunkSizes = []int{1, 100, 1000, 32 << 10}

// sameChunked checks that Project reads content alike whole and in chunks
// of each size. A text that parses whole (and that the splitter cuts)
// must also be read in chunks: the chunked reading falling back would be
// no error, but here it would mean the splitter and PostgreSQL disagree.
func sameChunked(t testing.TB, path string, content []byte) {
	t.Helper()
	f, whole := projectChunked(t, path, content, math.MaxInt, chunkBytes)
	for _, size := range chunkSizes {
		if got := projectJSON(t, path, content, 0, size); got != whole {
			t.Fatalf("chunks of %d bytes read differently:\nwhole:   %s\nchunked: %s", size, cut(whole, 4000), cut(got, 4000))
		}
	}
	top := 0
	for _, st := range f.Statements {
		if st.From == nil {
			top++
		}
	}
	if !hasParseError(f) && f.Limit == nil && top > 1 && !readsChunked(t, string(content), 1) {
		t.Error("a text that parses is not read in chunks")
	}
}

// readsChunked reports whether the chunked reading of content succeeds
// (rather than falling back to the whole parse).
func readsChunked(t testing.TB, content string, size int) bool {
	t.Helper()
	withChunking(t, 0, size)
	f := &File{Statements: []Statement{}, Notes: []Note{}}
	p := &projector{f: f, opt: Options{Budget: DefaultBudget, Now: time.Now}, ctx: context.Background()}
	p.deadline = p.opt.Now().Add(p.opt.Budget)
	p.prepare([]byte(content))
	f.Lines = p.lines.count()
	return p.parseChunked()
}

func TestChunkedCorpus(t *testing.T) {
	if err := Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, f := range corpusSQL(t) {
		t.Run(f.Rel, func(t *testing.T) {
			sameChunked(t, "db/migrations/1_x.sql", f.SQL)
		})
	}
}

func TestChunkedMigration5000(t *testing.T) {
	src := migration5000()
	whole := projectJSON(t, "db/migrations/1_x.sql", []byte(src), math.MaxInt, chunkBytes)
	for _, size := range []int{1, 4096, chunkBytes} {
		if got := projectJSON(t, "db/migrations/1_x.sql", []byte(src), 0, size); got != whole {
			t.Fatalf("chunks of %d bytes read differently", size)
		}
	}
	if got := projectJSON(t, "db/migrations/1_x.sql", []byte(src), chunkMinBytes, chunkBytes); got != whole {
		t.Fatal("the default chunking reads differently")
	}
	if !readsChunked(t, src, chunkBytes) {
		t.Fatal("the 5,000-statement migration is not read in chunks")
	}
}

// chunkCases are texts whose statements a lexical split could misread, or
// that have errors: each is compared whole and chunked, alone and inside
// a run of ordinary statements (so the chunks around it parse).
var chunkCases = map[string]string{
	"do block":                         "DO $$ BEGIN EXECUTE 'DROP TABLE t'; ALTER TABLE u DROP COLUMN a; END $$;",
	"do block with a tag":              "DO $body$\nDECLARE x int;\nBEGIN\n  CREATE INDEX i ON t (a);\n  EXECUTE 'DO $$ BEGIN DROP TABLE z; END $$';\nEND\n$body$ LANGUAGE plpgsql;",
	"plpgsql function":                 "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $b$\nBEGIN\n  CREATE INDEX i ON t (a);\n  UPDATE t SET a = 1;\nEND\n$b$;",
	"dollar quote with semicolons":     "SELECT $a$ ; DROP TABLE x; $a$;\nSELECT $$;$$ || $q$;\n;$q$;",
	"dollar quote unterminated":        "SELECT $a$ ; DROP TABLE x;\nCREATE INDEX i ON t (a);",
	"begin atomic":                     "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT a + 1;\nEND;\nCREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); UPDATE t SET a = 2; END;",
	"begin atomic empty":               "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC END;",
	"copy from stdin":                  "COPY t (a, b) FROM stdin;\n1\tx;y\n2\t;\n\\.\nCREATE INDEX i ON t (a);\nCOPY u FROM STDIN;\n;;;\n\\.\n",
	"copy unterminated":                "COPY t FROM stdin;\n1\t'x\nSELECT 'unterminated;\nDROP TABLE t;",
	"crlf":                             "-- +goose Up\r\nCREATE INDEX i ON t (a);\r\nALTER TABLE t ADD COLUMN b int;\r\n-- +goose Down\r\nDROP INDEX i;\r\n",
	"line comment with a semicolon":    "SELECT 1 -- ;\n;\nSELECT 2; -- x; y\nSELECT 3 /* ; */ ;",
	"nested comments":                  "/* a /* b; */ c; */ SELECT 1;\nSELECT /* ; /* ; */ ; */ 2;",
	"unterminated comment":             "SELECT 1;\n/* never closed; SELECT 2;",
	"strings":                          "SELECT 'a;b', E'c\\';d', U&'e;f', 'g''h;';\nSELECT 'x'\n';y';\nSELECT \"q;i\" FROM t;",
	"escape string trick":              "SELECT E'\\\\';\nSELECT 'a\\';\nDROP TABLE t;",
	"empty statements":                 ";;;\nSELECT 1;;\n;\nSELECT 2;\n;",
	"syntax error":                     "CREATE INDEX oops oops;",
	"syntax error without a semicolon": "SELECT 1;\nALTER TABLE",
	"unterminated quote":               "SELECT 'unterminated;\nDROP TABLE t;\nCREATE INDEX i ON t (a);",
	"parenthesis":                      "SELECT (1;\nSELECT 2);\nSELECT 3;",
	"begin end words":                  "CREATE TABLE begin (x int);\nSELECT 1 AS end;\nBEGIN;\nCREATE INDEX i ON t (a);\nEND;",
	"case end":                         "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; END;\nSELECT 1;",
	"goose block":                      "-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\nSELECT 1;\n-- +goose StatementEnd\nSELECT 2;",
	"meta-commands":                    "\\set ON_ERROR_STOP 1\nSELECT 1;\n\\i other.sql\nSELECT 2;",
	"transactions":                     "BEGIN;\nSET LOCAL lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\nROLLBACK;\nRESET ALL;",
	"ignores":                          "-- mergeguard:ignore all because\nDROP TABLE t;\n-- squawk-ignore ban-drop-table\nDROP TABLE u; -- mergeguard:ignore x y\nDROP TABLE v;",
	"not utf-8":                        "SELECT '\xff\xfe';\nSELECT \x00 1;",
	"no final semicolon":               "SELECT 1;\nSELECT 2",
	"comment at the end":               "SELECT 1;\n-- the end;\n",
	"legacy transaction words":         "BEGIN TRANSACTION;\nEND TRANSACTION;\nABORT;\nSTART TRANSACTION;\nCOMMIT;",
	"unicode":                          "SELECT 'é;ü';\nCREATE TABLE \"tä;b\" (a int);\nSELECT U&'\\00e9;' UESCAPE '!';",
	"create rule":                      "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO u VALUES (1); INSERT INTO v VALUES (2));\nSELECT 1;",
}

// ordinary is a run of statements that parse, to put chunk cases among.
func ordinary(n, from int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "ALTER TABLE t%d ADD COLUMN c integer DEFAULT 0;\nCREATE INDEX CONCURRENTLY i%d ON t%d (c);\n", i, i, i)
	}
	return b.String()
}

func TestChunkedCases(t *testing.T) {
	for name, sql := range chunkCases {
		t.Run(name, func(t *testing.T) {
			sameChunked(t, "db/migrations/1_x.sql", []byte(sql))
			// Before, between and after ordinary statements, so that
			// the case falls in the first, a middle and the last chunk.
			for _, text := range []string{
				sql + "\n" + ordinary(30, 0),
				ordinary(30, 0) + sql + "\n" + ordinary(30, 100),
				ordinary(30, 0) + sql,
				strings.ReplaceAll(ordinary(20, 0)+sql+"\n"+ordinary(20, 100), "\n", "\r\n"),
			} {
				sameChunked(t, "db/migrations/1_x.sql", []byte(text))
			}
		})
	}
}

// TestChunkedErrors puts syntax errors in the first, a middle and the last
// of the default-size chunks of a large migration, and one in every
// chunk.
func TestChunkedErrors(t *testing.T) {
	body := ordinary(1000, 0) // about 85 KB: three default chunks
	lines := strings.SplitAfter(body, "\n")
	for _, at := range []int{0, 1, len(lines) / 2, len(lines) - 2, len(lines) - 1} {
		for _, bad := range []string{"CREATE INDEX oops oops;\n", "SELECT 'unterminated;\n", "SELECT $x$ never closed;\n", "/* open comment\n"} {
			text := strings.Join(lines[:at], "") + bad + strings.Join(lines[at:], "")
			if readsChunked(t, text, chunkBytes) {
				t.Fatalf("a text with %q at line %d read in chunks", bad, at+1)
			}
			whole := projectJSON(t, "m.sql", []byte(text), math.MaxInt, chunkBytes)
			if got := projectJSON(t, "m.sql", []byte(text), chunkMinBytes, chunkBytes); got != whole {
				t.Fatalf("%q at line %d: chunked reading differs", bad, at+1)
			}
		}
	}
	var b strings.Builder
	for i, l := range lines {
		if i%300 == 150 {
			b.WriteString("ALTER TABLE;\n")
		}
		b.WriteString(l)
	}
	whole := projectJSON(t, "m.sql", []byte(b.String()), math.MaxInt, chunkBytes)
	for _, size := range []int{1, 1000, chunkBytes} {
		if got := projectJSON(t, "m.sql", []byte(b.String()), 0, size); got != whole {
			t.Fatalf("errors in every chunk of %d bytes: chunked reading differs", size)
		}
	}
}

// TestChunkedCheck: a chunk that parses but whose last ';' is not the one
// that ends its last statement (as when a boundary falls inside a line
// comment) is not kept.
func TestChunkedCheck(t *testing.T) {
	res, err := parseSQL("SELECT 1 -- ;")
	if err != nil {
		t.Fatal(err)
	}
	if endsAtLastByte(res, len("SELECT 1 -- ;")) {
		t.Error("a ';' in a comment taken for the end of the statement")
	}
	res, err = parseSQL("SELECT 1; ;")
	if err != nil {
		t.Fatal(err)
	}
	if endsAtLastByte(res, len("SELECT 1; ;")) {
		t.Error("the second of two ';' taken for the end of the statement")
	}
	res, err = parseSQL("SELECT 1;\nSELECT 2;")
	if err != nil {
		t.Fatal(err)
	}
	if !endsAtLastByte(res, len("SELECT 1;\nSELECT 2;")) {
		t.Error("a statement's ';' not recognised")
	}
}
