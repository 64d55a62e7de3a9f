package sqlsplit

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitIgnores(t *testing.T) {
	runSplit(t, []splitCase{
		{name: "with and without reason", src: "-- mergeguard:ignore create_index_concurrently table has 10 rows\nCREATE INDEX i ON t (a);\n--mergeguard:ignore all\nDROP TABLE u;", want: []Statement{
			ignored(st("CREATE INDEX i ON t (a);", "CREATE INDEX i ON t (a)", 2, 2),
				Ignore{Rule: "create_index_concurrently", Reason: "table has 10 rows", Line: 1}),
			ignored(st("DROP TABLE u;", "DROP TABLE u", 4, 4), Ignore{Rule: "all", Line: 3}),
		}},
		{name: "several, across comments, blank lines and empty statements", src: "SELECT 1;\n-- mergeguard:ignore a  first  reason \n\n/* note */\n;\n  --   mergeguard:ignore\tb\tsecond\n\\set x 1\n-- mergeguard:ignore\nALTER TABLE t DROP COLUMN c;", want: []Statement{
			st("SELECT 1;", "SELECT 1", 1, 1),
			ignored(st("ALTER TABLE t DROP COLUMN c;", "ALTER TABLE t DROP COLUMN c", 9, 9),
				Ignore{Rule: "a", Reason: "first  reason", Line: 2},
				Ignore{Rule: "b", Reason: "second", Line: 6},
				Ignore{Line: 8}),
		}},
		{name: "attached to the next statement only", src: "-- mergeguard:ignore r1 why\nSELECT 1;\nSELECT 2;\n-- mergeguard:ignore r2 why\nSELECT 3;", want: []Statement{
			ignored(st("SELECT 1;", "SELECT 1", 2, 2), Ignore{Rule: "r1", Reason: "why", Line: 1}),
			st("SELECT 2;", "SELECT 2", 3, 3),
			ignored(st("SELECT 3;", "SELECT 3", 5, 5), Ignore{Rule: "r2", Reason: "why", Line: 4}),
		}},
		{name: "not an ignore", src: "-- mergeguard:ignored r why\n-- see mergeguard:ignore r why\nSELECT 1;", want: []Statement{
			st("SELECT 1;", "SELECT 1", 3, 3),
		}},
		{name: "in a block comment or string it is no directive", src: "/* mergeguard:ignore r why */\nSELECT '\n-- mergeguard:ignore r why\n';", want: []Statement{
			st("SELECT '\n-- mergeguard:ignore r why\n';", "SELECT ''", 2, 4),
		}},
	})
}

func TestSplitFileUnattachedIgnores(t *testing.T) {
	src := "SELECT 1; -- mergeguard:ignore r same line\n" +
		"CREATE INDEX i\n" +
		"  -- mergeguard:ignore r inside\n" +
		"  ON t (a);\n" +
		"-- mergeguard:ignore r after the last\n"
	res := SplitFile(src, 10)
	want := []Ignore{
		{Rule: "r", Reason: "same line", Line: 10},
		{Rule: "r", Reason: "inside", Line: 12},
		{Rule: "r", Reason: "after the last", Line: 14},
	}
	if !reflect.DeepEqual(res.UnattachedIgnores, want) {
		t.Errorf("UnattachedIgnores = %#v, want %#v", res.UnattachedIgnores, want)
	}
	for _, s := range res.Statements {
		if s.Ignores != nil {
			t.Errorf("statement %q got ignores %#v", s.Text, s.Ignores)
		}
	}
	if len(res.Statements) != 2 {
		t.Errorf("got %s, want 2 statements", dump(res.Statements))
	}
}

func TestSplitMigrationTools(t *testing.T) {
	runSplit(t, []splitCase{
		{name: "goose up and down", src: "-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n", want: []Statement{
			st("CREATE TABLE t (id int);", "CREATE TABLE t (id int)", 2, 2),
			down(st("DROP TABLE t;", "DROP TABLE t", 4, 4)),
		}},
		{name: "goose statement block", src: "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS trigger AS '\nBEGIN\n  NEW.a := 1; RETURN NEW;\nEND;' LANGUAGE plpgsql;\nSELECT 1;\n-- +goose StatementEnd\nSELECT 2;\n", want: []Statement{
			st("CREATE FUNCTION f() RETURNS trigger AS '\nBEGIN\n  NEW.a := 1; RETURN NEW;\nEND;' LANGUAGE plpgsql;\nSELECT 1;",
				"CREATE FUNCTION f() RETURNS trigger AS '' LANGUAGE plpgsql; SELECT 1", 3, 7),
			st("SELECT 2;", "SELECT 2", 9, 9),
		}},
		{name: "goose block without end", src: "-- +goose StatementBegin\nSELECT 1;\nSELECT 2;\n", want: []Statement{
			incomplete(st("SELECT 1;\nSELECT 2;", "SELECT 1; SELECT 2", 2, 3)),
		}},
		{name: "goose down inside an open block", src: "-- +goose StatementBegin\nSELECT 1;\n-- +goose Down\nSELECT 2;", want: []Statement{
			incomplete(st("SELECT 1;", "SELECT 1", 2, 2)),
			down(st("SELECT 2;", "SELECT 2", 4, 4)),
		}},
		{name: "directive ends a statement without semicolon", src: "-- +goose Up\nCREATE TABLE t (id int)\n-- +goose Down\nDROP TABLE t\n", want: []Statement{
			st("CREATE TABLE t (id int)", "CREATE TABLE t (id int)", 2, 2),
			down(st("DROP TABLE t", "DROP TABLE t", 4, 4)),
		}},
		{name: "directive case and spacing", src: "--  +GOOSE   down\nSELECT 1;\n-- +goose  UP  \nSELECT 2;", want: []Statement{
			down(st("SELECT 1;", "SELECT 1", 2, 2)),
			st("SELECT 2;", "SELECT 2", 4, 4),
		}},
		{name: "CRLF", src: "-- +goose Up\r\n-- +goose StatementBegin\r\nSELECT 1;\r\nSELECT 2;\r\n-- +goose StatementEnd\r\n-- +goose Down\r\nSELECT 3;\r\n", want: []Statement{
			st("SELECT 1;\r\nSELECT 2;", "SELECT 1; SELECT 2", 3, 4),
			down(st("SELECT 3;", "SELECT 3", 7, 7)),
		}},
		{name: "directive only at the start of a line", src: "-- +goose Up\nSELECT 1; -- +goose Down\nSELECT 2;", want: []Statement{
			st("SELECT 1;", "SELECT 1", 2, 2),
			st("SELECT 2;", "SELECT 2", 3, 3),
		}},
		{name: "dbmate", src: "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n-- migrate:up\nSELECT 1;", want: []Statement{
			st("CREATE INDEX CONCURRENTLY i ON t (a);", "CREATE INDEX CONCURRENTLY i ON t (a)", 2, 2),
			down(st("DROP INDEX i;", "DROP INDEX i", 5, 5)),
			st("SELECT 1;", "SELECT 1", 7, 7),
		}},
		{name: "sql-migrate", src: "-- +migrate Up notransaction\nSELECT 1;\n-- +migrate Down\nSELECT 2;", want: []Statement{
			st("SELECT 1;", "SELECT 1", 2, 2),
			down(st("SELECT 2;", "SELECT 2", 4, 4)),
		}},
		{name: "not directives", src: "-- migrate:upgrade\n-- +goosey Down\n-- migrate: down\nSELECT 1;", want: []Statement{
			st("SELECT 1;", "SELECT 1", 4, 4),
		}},
		{name: "psql meta-commands", src: "\\set ON_ERROR_STOP on\n  \\echo 'a;b'\nSELECT 1;\n\\connect other\nSELECT 2 AS x \\gset\nSELECT 3\n\\echo x\n, 4;", want: []Statement{
			st("SELECT 1;", "SELECT 1", 3, 3),
			st("SELECT 2 AS x", "SELECT 2 AS x", 5, 5),
			st("SELECT 3\n\\echo x\n, 4;", "SELECT 3 , 4", 6, 8),
		}},
		{name: "backslash in a string is no meta-command", src: "SELECT E'\\\\g', '\\g';", want: []Statement{
			st("SELECT E'\\\\g', '\\g';", "SELECT '', ''", 1, 1),
		}},
	})
}

func TestSplitFileDirectives(t *testing.T) {
	src := "-- +goose Up\n-- +goose NO TRANSACTION\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- +goose Down\n"
	res := SplitFile(src, 1)
	want := []Directive{{Text: "+goose Up", Line: 1}, {Text: "+goose NO TRANSACTION", Line: 2}, {Text: "+goose Down", Line: 4}}
	if !reflect.DeepEqual(res.Directives, want) {
		t.Errorf("Directives = %#v, want %#v", res.Directives, want)
	}
}

func TestSplitFileBounds(t *testing.T) {
	for _, tc := range []struct {
		name          string
		src           string
		statements    int
		ignores       int
		truncated     bool
		lastStatement string
	}{
		{name: "empty statements are free", src: strings.Repeat(";", 1<<20), statements: 0},
		{name: "exactly the maximum", src: strings.Repeat("SELECT 1;", MaxStatements) + ";\n-- x\n", statements: MaxStatements},
		{name: "one past the maximum", src: strings.Repeat("SELECT 1;\n", MaxStatements) + "DROP TABLE t;", statements: MaxStatements, truncated: true, lastStatement: "SELECT 1;"},
		{name: "too many ignores", src: strings.Repeat("-- mergeguard:ignore r x\n", MaxIgnores+5) + "SELECT 1;", statements: 1, ignores: MaxIgnores, truncated: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := SplitFile(tc.src, 1)
			n := 0
			for _, s := range res.Statements {
				n += len(s.Ignores)
			}
			n += len(res.UnattachedIgnores)
			if len(res.Statements) != tc.statements || n != tc.ignores || res.Truncated != tc.truncated {
				t.Errorf("got %d statements, %d ignores, truncated %v; want %d, %d, %v",
					len(res.Statements), n, res.Truncated, tc.statements, tc.ignores, tc.truncated)
			}
			if tc.lastStatement != "" && res.Statements[len(res.Statements)-1].Text != tc.lastStatement {
				t.Errorf("last statement %q, want %q", res.Statements[len(res.Statements)-1].Text, tc.lastStatement)
			}
		})
	}
}

// A run of empty statements costs no allocation per statement.
func TestSplitEmptyStatementsDoNotAllocate(t *testing.T) {
	src := strings.Repeat(";", 1<<16)
	allocs := testing.AllocsPerRun(10, func() { SplitFile(src, 1) })
	if allocs > 0 {
		t.Errorf("%v allocations for %d empty statements", allocs, len(src))
	}
}
