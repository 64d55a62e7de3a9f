package sqlsplit

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// st builds an expected statement: text, code and lines; the flags and
// ignores are set by the cases that need them.
func st(text, code string, line, end int) Statement {
	return Statement{Text: text, Code: code, Line: line, EndLine: end}
}

func incomplete(s Statement) Statement { s.Incomplete = true; return s }
func down(s Statement) Statement       { s.Down = true; return s }
func ignored(s Statement, ig ...Ignore) Statement {
	s.Ignores = ig
	return s
}

type splitCase struct {
	name      string
	src       string
	firstLine int // 1 when 0
	want      []Statement
}

func runSplit(t *testing.T, cases []splitCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			first := tc.firstLine
			if first == 0 {
				first = 1
			}
			got := Split(tc.src, first)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Split(%q)\n got: %s\nwant: %s", tc.src, dump(got), dump(tc.want))
			}
		})
	}
}

func dump(ss []Statement) string {
	if len(ss) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, "\n  %#v", s)
	}
	return b.String()
}

func TestSplitLexing(t *testing.T) {
	runSplit(t, []splitCase{
		{name: "semicolon in string", src: "SELECT 'a;b'; SELECT 2;", want: []Statement{
			st("SELECT 'a;b';", "SELECT ''", 1, 1),
			st("SELECT 2;", "SELECT 2", 1, 1),
		}},
		{name: "doubled quote in string", src: "INSERT INTO t VALUES ('it''s; here');", want: []Statement{
			st("INSERT INTO t VALUES ('it''s; here');", "INSERT INTO t VALUES ('')", 1, 1),
		}},
		{name: "backslash does not escape in a standard string", src: `SELECT 'a\'; SELECT 2;`, want: []Statement{
			st(`SELECT 'a\';`, "SELECT ''", 1, 1),
			st("SELECT 2;", "SELECT 2", 1, 1),
		}},
		{name: "E string with backslash quote", src: `SELECT E'it\'s; here', e'x\\'; SELECT 2;`, want: []Statement{
			st(`SELECT E'it\'s; here', e'x\\';`, "SELECT '', ''", 1, 1),
			st("SELECT 2;", "SELECT 2", 1, 1),
		}},
		{name: "E string with doubled quote", src: `SELECT E'a''b;c';`, want: []Statement{
			st(`SELECT E'a''b;c';`, "SELECT ''", 1, 1),
		}},
		{name: "prefixed literals", src: `SELECT B'10', X'1F', N'n;', U&'d\0061t;a' UESCAPE '\';`, want: []Statement{
			st(`SELECT B'10', X'1F', N'n;', U&'d\0061t;a' UESCAPE '\';`, "SELECT '', '', '', '' UESCAPE ''", 1, 1),
		}},
		{name: "a word ending in E is not a prefix", src: `SELECT type'x;' FROM t;`, want: []Statement{
			st(`SELECT type'x;' FROM t;`, "SELECT type'' FROM t", 1, 1),
		}},
		{name: "quoted identifiers kept as written", src: `SELECT "a;""b", U&"d;" FROM "Order";`, want: []Statement{
			st(`SELECT "a;""b", U&"d;" FROM "Order";`, `SELECT "a;""b", U&"d;" FROM "Order"`, 1, 1),
		}},
		{name: "line comment", src: "SELECT 1 -- one; two\n, 2; -- after\n", want: []Statement{
			st("SELECT 1 -- one; two\n, 2;", "SELECT 1 , 2", 1, 2),
		}},
		{name: "nested block comment", src: "SELECT 1 /* a /* b; */ c; */ + 2;", want: []Statement{
			st("SELECT 1 /* a /* b; */ c; */ + 2;", "SELECT 1 + 2", 1, 1),
		}},
		{name: "comment between tokens separates them", src: "SELECT a/**/b, c--x\n-d;", want: []Statement{
			st("SELECT a/**/b, c--x\n-d;", "SELECT a b, c -d", 1, 2),
		}},
		{name: "dollar body", src: "CREATE FUNCTION f() RETURNS void AS $$\nBEGIN\n  DELETE FROM t;\nEND;\n$$ LANGUAGE plpgsql;\nSELECT f();", want: []Statement{
			st("CREATE FUNCTION f() RETURNS void AS $$\nBEGIN\n  DELETE FROM t;\nEND;\n$$ LANGUAGE plpgsql;", "CREATE FUNCTION f() RETURNS void AS $$ $$ LANGUAGE plpgsql", 1, 5),
			st("SELECT f();", "SELECT f()", 6, 6),
		}},
		{name: "tagged dollar body containing $$", src: "DO $fn$ BEGIN PERFORM $$;$$; END $fn$; DO $_1$ $a$ ; $_1$;", want: []Statement{
			st("DO $fn$ BEGIN PERFORM $$;$$; END $fn$;", "DO $$ $$", 1, 1),
			st("DO $_1$ $a$ ; $_1$;", "DO $$ $$", 1, 1),
		}},
		{name: "dollar tag ends at its first occurrence", src: "SELECT $a$x$b$a$; SELECT 2;", want: []Statement{
			st("SELECT $a$x$b$a$;", "SELECT $$ $$", 1, 1),
			st("SELECT 2;", "SELECT 2", 1, 1),
		}},
		{name: "parameters are not quotes", src: "SELECT $1; SELECT $2 || $$x$$;", want: []Statement{
			st("SELECT $1;", "SELECT $1", 1, 1),
			st("SELECT $2 || $$x$$;", "SELECT $2 || $$ $$", 1, 1),
		}},
		{name: "dollar inside an identifier is not a quote", src: "SELECT a$$b FROM t; SELECT 3;", want: []Statement{
			st("SELECT a$$b FROM t;", "SELECT a$$b FROM t", 1, 1),
			st("SELECT 3;", "SELECT 3", 1, 1),
		}},
		{name: "digit after $ is no tag", src: "SELECT $1$; SELECT 2;", want: []Statement{
			st("SELECT $1$;", "SELECT $1$", 1, 1),
			st("SELECT 2;", "SELECT 2", 1, 1),
		}},
		{name: "semicolon inside parentheses", src: "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 1;", want: []Statement{
			st("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));",
				"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))", 1, 1),
			st("SELECT 1;", "SELECT 1", 1, 1),
		}},
		{name: "BEGIN ATOMIC body", src: "CREATE OR REPLACE FUNCTION f(begin int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND;\nSELECT 3;", want: []Statement{
			st("CREATE OR REPLACE FUNCTION f(begin int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND;",
				"CREATE OR REPLACE FUNCTION f(begin int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END", 1, 5),
			st("SELECT 3;", "SELECT 3", 6, 6),
		}},
		{name: "words inside parentheses do not make a routine", src: "( CREATE FUNCTION ) BEGIN ; SELECT 2; CREATE (x) FUNCTION BEGIN ; SELECT 3; END;", want: []Statement{
			st("( CREATE FUNCTION ) BEGIN ;", "( CREATE FUNCTION ) BEGIN", 1, 1),
			st("SELECT 2;", "SELECT 2", 1, 1),
			st("CREATE (x) FUNCTION BEGIN ; SELECT 3; END;", "CREATE (x) FUNCTION BEGIN ; SELECT 3; END", 1, 1),
		}},
		{name: "letters stuck to a number or parameter are part of it", src: `SELECT 1e'\'; SELECT $1e'\'; SELECT 1.5e-3, .5E'\';`, want: []Statement{
			st(`SELECT 1e'\';`, "SELECT 1e''", 1, 1),
			st(`SELECT $1e'\';`, "SELECT $1e''", 1, 1),
			st(`SELECT 1.5e-3, .5E'\';`, "SELECT 1.5e-3, .5E''", 1, 1),
		}},
		{name: "BEGIN outside a routine is a statement", src: "BEGIN;\nCREATE INDEX i ON t (a);\nCOMMIT;", want: []Statement{
			st("BEGIN;", "BEGIN", 1, 1),
			st("CREATE INDEX i ON t (a);", "CREATE INDEX i ON t (a)", 2, 2),
			st("COMMIT;", "COMMIT", 3, 3),
		}},
		{name: "empty statements and comments only", src: ";;\n -- x;\n/* y; */ ; \n", want: nil},
		{name: "empty input", src: "", want: nil},
	})
}

func TestSplitLines(t *testing.T) {
	runSplit(t, []splitCase{
		{name: "multi-line statement", src: "\n\n-- lead\nALTER TABLE t\n  ADD COLUMN a int,\n  ADD COLUMN b int;\n\nDROP TABLE u;\n", want: []Statement{
			st("ALTER TABLE t\n  ADD COLUMN a int,\n  ADD COLUMN b int;", "ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int", 4, 6),
			st("DROP TABLE u;", "DROP TABLE u", 8, 8),
		}},
		{name: "lines across multi-line string, comment and dollar body", src: "SELECT 'a\nb\nc', /* x\ny */ $$\n$$\n;\nSELECT 1;", want: []Statement{
			st("SELECT 'a\nb\nc', /* x\ny */ $$\n$$\n;", "SELECT '', $$ $$", 1, 6),
			st("SELECT 1;", "SELECT 1", 7, 7),
		}},
		{name: "firstLine offset", firstLine: 40, src: "-- x\nCREATE TABLE t (\n  id int\n);\nSELECT 1", want: []Statement{
			st("CREATE TABLE t (\n  id int\n);", "CREATE TABLE t ( id int )", 41, 43),
			st("SELECT 1", "SELECT 1", 44, 44),
		}},
		{name: "no trailing semicolon", src: "SELECT 1;\nSELECT 2 -- done\n\n", want: []Statement{
			st("SELECT 1;", "SELECT 1", 1, 1),
			st("SELECT 2", "SELECT 2", 2, 2),
		}},
		{name: "CRLF", src: "SELECT 1;\r\n-- mergeguard:ignore r why\r\nSELECT\r\n  'a;\r\nb';\r\n", want: []Statement{
			st("SELECT 1;", "SELECT 1", 1, 1),
			ignored(st("SELECT\r\n  'a;\r\nb';", "SELECT ''", 3, 5), Ignore{Rule: "r", Reason: "why", Line: 2}),
		}},
		{name: "byte order mark", src: "\ufeffSELECT 1;", want: []Statement{
			st("SELECT 1;", "SELECT 1", 1, 1),
		}},
		{name: "NUL and invalid UTF-8 are bytes", src: "SELECT \x00, \xff\xfe;\nSELECT '\xc3(';", want: []Statement{
			st("SELECT \x00, \xff\xfe;", "SELECT \x00, \xff\xfe", 1, 1),
			st("SELECT '\xc3(';", "SELECT ''", 2, 2),
		}},
	})
}

func TestSplitIncomplete(t *testing.T) {
	runSplit(t, []splitCase{
		{name: "unterminated string", src: "SELECT 1;\nSELECT 'abc;\nDROP TABLE t;\n", want: []Statement{
			st("SELECT 1;", "SELECT 1", 1, 1),
			incomplete(st("SELECT 'abc;\nDROP TABLE t;\n", "SELECT ''", 2, 3)),
		}},
		{name: "E string ending in a backslash", src: `SELECT E'abc\`, want: []Statement{
			incomplete(st(`SELECT E'abc\`, "SELECT ''", 1, 1)),
		}},
		{name: "unterminated quoted identifier", src: `ALTER TABLE "t;`, want: []Statement{
			incomplete(st(`ALTER TABLE "t;`, `ALTER TABLE "t;`, 1, 1)),
		}},
		{name: "unterminated block comment in a statement", src: "DROP /* x /* y */ TABLE t;", want: []Statement{
			incomplete(st("DROP /* x /* y */ TABLE t;", "DROP", 1, 1)),
		}},
		{name: "unterminated block comment alone", src: "SELECT 1;\n/* CREATE INDEX i ON t (a);\n", want: []Statement{
			st("SELECT 1;", "SELECT 1", 1, 1),
			incomplete(st("/* CREATE INDEX i ON t (a);\n", "", 2, 2)),
		}},
		{name: "unterminated dollar quote", src: "DO $x$ BEGIN; $$ END; $$;", want: []Statement{
			incomplete(st("DO $x$ BEGIN; $$ END; $$;", "DO $$ $$", 1, 1)),
		}},
		{name: "open parenthesis", src: "CREATE INDEX i ON t (a;\nSELECT 1", want: []Statement{
			incomplete(st("CREATE INDEX i ON t (a;\nSELECT 1", "CREATE INDEX i ON t (a; SELECT 1", 1, 2)),
		}},
		{name: "open BEGIN ATOMIC", src: "CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1;", want: []Statement{
			incomplete(st("CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1;", "CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1", 1, 1)),
		}},
	})
}

func TestSplitCode(t *testing.T) {
	for _, tc := range []struct{ src, code string }{
		{"UPDATE t SET a = 'where';", "UPDATE t SET a = ''"},
		{"update  t\n\tSET a=1   WHERE\r\n id = 2 ;", "update t SET a=1 WHERE id = 2"},
		{"SELECT 'a'\n'b', 'c' 'd';", "SELECT '', '' ''"},
		{"SELECT 'a' -- c\n  'b';", "SELECT ''"},
		{"SELECT 'a' /* c */\n'b';", "SELECT '' ''"},
		{"SELECT E'a'\n'b';", "SELECT ''"},
		{"SELECT 'a'\nE'b';", "SELECT '' ''"},
		{"ALTER TABLE \"My  Table\" ADD COLUMN \"x\"\"y\" text DEFAULT 'n''a';", "ALTER TABLE \"My  Table\" ADD COLUMN \"x\"\"y\" text DEFAULT ''"},
		{"CREATE INDEX CONCURRENTLY i ON t USING btree (lower(email)) WHERE deleted_at IS NULL;", "CREATE INDEX CONCURRENTLY i ON t USING btree (lower(email)) WHERE deleted_at IS NULL"},
		{"SELECT 1 \\; SELECT 2;", "SELECT 1 ; SELECT 2"},
	} {
		got := Split(tc.src, 1)
		if len(got) != 1 || got[0].Code != tc.code {
			t.Errorf("Split(%q): %s, want one statement with Code %q", tc.src, dump(got), tc.code)
		}
	}
}
