package migration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func project(t *testing.T, path, sql string) *File {
	t.Helper()
	return Project(context.Background(), path, []byte(sql), Options{})
}

// shape lists "kind@line-end" for each statement, a compact view of what
// was read and where.
func shape(f *File) string {
	parts := make([]string, 0, len(f.Statements))
	for _, st := range f.Statements {
		s := fmt.Sprintf("%s@%d-%d", st.Kind, st.Line, st.EndLine)
		if st.From != nil {
			s = st.From.Kind + ":" + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestProjectKindsAndLines(t *testing.T) {
	tests := []struct {
		name, sql, want string
	}{
		{"one statement", "CREATE INDEX i ON t (a);", "create_index@1-1"},
		{"leading comments are not part of the statement", "-- hello\n/* a\n b */\nCREATE TABLE t (id int);\n", "create_table@4-4"},
		{"multi-line", "ALTER TABLE t\n  ADD COLUMN a int,\n  ADD COLUMN b int;\nDROP TABLE u;", "alter_table@1-3 drop_table@4-4"},
		{"CRLF", "SELECT 1;\r\n\r\nALTER TABLE t\r\n ADD COLUMN a int;\r\nDROP INDEX CONCURRENTLY i;\r\n", "select@1-1 alter_table@3-4 drop_index@5-5"},
		{"no final semicolon", "SELECT 1;\nVACUUM t", "select@1-1 vacuum@2-2"},
		{"transaction statements", "BEGIN;\nSTART TRANSACTION;\nSAVEPOINT a;\nROLLBACK TO a;\nCOMMIT;\nROLLBACK;", "begin@1-1 begin@2-2 savepoint@3-3 rollback_to@4-4 commit@5-5 rollback@6-6"},
		{"maintenance", "REINDEX INDEX CONCURRENTLY i;\nTRUNCATE t CASCADE;\nDROP DATABASE d;\nCLUSTER t USING i;\nANALYZE t;", "reindex@1-1 truncate@2-2 drop_database@3-3 cluster@4-4 analyze@5-5"},
		{"set and reset", "SET lock_timeout = '1s';\nRESET lock_timeout;\nRESET ALL;", "set@1-1 reset@2-2 reset@3-3"},
		{"enum", "ALTER TYPE mood ADD VALUE 'meh' AFTER 'ok';", "alter_enum@1-1"},
		{"rename", "ALTER TABLE t RENAME TO u;\nALTER TABLE u RENAME COLUMN a TO b;\nALTER INDEX i RENAME TO j;", "alter_table@1-1 alter_table@2-2 rename_index@3-3"},
		{"other statements keep their node's name", "CREATE SCHEMA s;\nCREATE SEQUENCE q;\nCOMMENT ON TABLE t IS 'x';", "create_schema@1-1 create_seq@2-2 comment@3-3"},
		{"semicolons in strings and bodies", "INSERT INTO t VALUES ('a;b');\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\nSELECT 2;", "insert@1-1 create_function@2-2 select@3-3"},
		{"goose statement block", "-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int LANGUAGE sql\nAS 'SELECT 1';\n-- +goose StatementEnd\nSELECT 1;", "create_function@2-3 select@5-5"},
		{"empty file", "", ""},
		{"only comments", "-- nothing\n/* here */\n", ""},
		{"long line does not hide what follows", "INSERT INTO t VALUES ('" + strings.Repeat("x", 100000) + "');\nCREATE INDEX i ON t (a);", "insert@1-1 create_index@2-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := project(t, "db/migrations/1_x.sql", tt.sql)
			if got := shape(f); got != tt.want {
				t.Errorf("statements\n got %q\nwant %q", got, tt.want)
			}
			for i, st := range f.Statements {
				if st.Index != i {
					t.Errorf("statement %d has index %d", i, st.Index)
				}
			}
		})
	}
}

func TestProjectParseErrorsRecover(t *testing.T) {
	tests := []struct {
		name, sql, want string
		errLine         int
	}{
		{"bad statement in the middle", "CREATE INDEX i ON t (a);\nCREATE INDEX oops oops;\nDROP TABLE t;", "create_index@1-1 parse_error@2-2 drop_table@3-3", 2},
		{"error points at its line inside the statement", "SELECT 1;\nALTER TABLE t\n  ADD COLUMN a int,\n  ADD COLUMNN b int;\nDROP TABLE t;", "select@1-1 parse_error@2-4 drop_table@5-5", 4},
		{"not PostgreSQL at all", "this is not sql;\nCREATE TABLE t (a int);", "parse_error@1-1 create_table@2-2", 1},
		{"unterminated quote does not swallow the file", "SELECT 'oops;\nCREATE INDEX i ON t (a);\nDROP TABLE t;", "parse_error@1-3 create_index@2-2 drop_table@3-3", 1},
		{"MySQL syntax", "ALTER TABLE t ADD COLUMN a int AFTER b;\nCREATE INDEX CONCURRENTLY i ON t (a);", "parse_error@1-1 create_index@2-2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := project(t, "m.sql", tt.sql)
			if got := shape(f); got != tt.want {
				t.Fatalf("statements\n got %q\nwant %q", got, tt.want)
			}
			var pe *ParseError
			for _, st := range f.Statements {
				if st.Kind == "parse_error" {
					pe = st.Error
					break
				}
			}
			if pe == nil || pe.Message == "" || pe.Line != tt.errLine {
				t.Errorf("parse error %+v, want a message on line %d", pe, tt.errLine)
			}
		})
	}
}

func TestProjectAlterTable(t *testing.T) {
	sql := `ALTER TABLE public.users
  ADD COLUMN a integer DEFAULT floor(random() * 10),
  ADD COLUMN b uuid DEFAULT uuid(),
  ADD COLUMN c timestamptz DEFAULT now() NOT NULL,
  ADD COLUMN d text DEFAULT 'x',
  ADD COLUMN e bigint GENERATED ALWAYS AS IDENTITY,
  ADD COLUMN f bigserial,
  ADD COLUMN g bigint REFERENCES accounts (id),
  ADD COLUMN h text UNIQUE,
  ADD COLUMN i bigint PRIMARY KEY,
  ADD COLUMN j int CHECK (j > 0),
  ADD COLUMN k int GENERATED ALWAYS AS (j * 2) STORED,
  ADD COLUMN l numeric DEFAULT abs(pg_catalog.random()),
  ADD COLUMN m int DEFAULT nextval('s'),
  ADD COLUMN n varchar(20)[] DEFAULT myschema.f(1);`
	f := project(t, "m.sql", sql)
	if len(f.Statements) != 1 || f.Statements[0].AlterTable == nil {
		t.Fatalf("got %s", shape(f))
	}
	st := f.Statements[0]
	if st.Relation == nil || *st.Relation != (Relation{Schema: "public", Name: "users"}) {
		t.Errorf("relation %+v", st.Relation)
	}
	type want struct {
		typ, volatility, identity string
		rewrite, notNull          bool
		constraint                string
	}
	wants := map[string]want{
		"a": {"integer", "volatile", "", true, false, ""},
		"b": {"uuid", "volatile", "", true, false, ""},
		"c": {"timestamp with time zone", "stable", "", false, true, ""},
		"d": {"text", "immutable", "", false, false, ""},
		"e": {"bigint", "", "always", true, false, ""},
		"f": {"bigserial", "", "", true, false, ""},
		"g": {"bigint", "", "", false, false, "foreign_key"},
		"h": {"text", "", "", false, false, "unique"},
		"i": {"bigint", "", "", false, false, "primary_key"},
		"j": {"integer", "", "", false, false, "check"},
		"k": {"integer", "", "", true, false, ""},
		"l": {"numeric", "volatile", "", true, false, ""},
		"m": {"integer", "volatile", "", true, false, ""},
		"n": {"character varying(20)[]", "volatile", "", true, false, ""},
	}
	if len(st.AlterTable.Commands) != len(wants) {
		t.Fatalf("%d commands, want %d", len(st.AlterTable.Commands), len(wants))
	}
	for _, c := range st.AlterTable.Commands {
		w, ok := wants[c.Column]
		if c.Action != "add_column" || !ok || c.ColumnDef == nil {
			t.Errorf("unexpected command %+v", c)
			continue
		}
		col := c.ColumnDef
		vol := ""
		if col.Default != nil {
			vol = col.Default.Volatility
		}
		con := ""
		if len(col.Constraints) > 0 {
			con = col.Constraints[0].Type
		}
		got := want{col.Type, vol, col.Identity, col.NeedsRewrite, col.NotNull, con}
		if got != w {
			t.Errorf("column %s: got %+v, want %+v", c.Column, got, w)
		}
	}
	a := st.AlterTable.Commands[0].ColumnDef.Default
	if a.Text != "floor(random() * 10)" || strings.Join(a.Functions, ",") != "floor,random" {
		t.Errorf("default of a: %+v", a)
	}
	g := st.AlterTable.Commands[6].ColumnDef.Constraints[0]
	if g.References == nil || g.References.Name != "accounts" {
		t.Errorf("references of g: %+v", g)
	}
	if k := st.AlterTable.Commands[10].ColumnDef; k.Generated == nil || k.Generated.Text != "j * 2" {
		t.Errorf("generated of k: %+v", k.Generated)
	}
}

func TestProjectAlterCommands(t *testing.T) {
	tests := []struct {
		sql  string
		want string // action/column/name/type/flags
	}{
		{"ALTER TABLE t ALTER COLUMN a SET NOT NULL;", "set_not_null a"},
		{"ALTER TABLE t ALTER COLUMN a DROP NOT NULL;", "drop_not_null a"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;", "add_constraint check c not_valid"},
		{"ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id);", "add_constraint foreign_key fk users"},
		{"ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i;", "add_constraint unique u using=i"},
		{"ALTER TABLE t ADD PRIMARY KEY (id);", "add_constraint primary_key "},
		{"ALTER TABLE t VALIDATE CONSTRAINT c;", "validate_constraint c"},
		{"ALTER TABLE t DROP CONSTRAINT IF EXISTS c CASCADE;", "drop_constraint c if_exists cascade"},
		{"ALTER TABLE t ALTER COLUMN a TYPE bigint USING a::bigint;", "alter_column_type a bigint using=a::bigint"},
		{"ALTER TABLE t ALTER COLUMN a SET DATA TYPE varchar(10);", "alter_column_type a character varying(10)"},
		{"ALTER TABLE t DROP COLUMN a;", "drop_column a"},
		{"ALTER TABLE t ALTER COLUMN a SET DEFAULT random();", "set_default a volatile"},
		{"ALTER TABLE t ALTER COLUMN a DROP DEFAULT;", "drop_default a"},
		{"ALTER TABLE t RENAME COLUMN a TO b;", "rename_column a b"},
		{"ALTER TABLE t RENAME TO u;", "rename_table u"},
		{"ALTER TABLE p ATTACH PARTITION p1 FOR VALUES IN (1);", "attach_partition p1"},
		{"ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY;", "detach_partition p1 concurrently"},
		{"ALTER TABLE p DETACH PARTITION p1;", "detach_partition p1"},
		{"ALTER TABLE t ADD COLUMN IF NOT EXISTS a int;", "add_column a if_not_exists"},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			f := project(t, "m.sql", tt.sql)
			if len(f.Statements) != 1 || f.Statements[0].AlterTable == nil || len(f.Statements[0].AlterTable.Commands) != 1 {
				t.Fatalf("got %s", shape(f))
			}
			if got := commandSummary(f.Statements[0].AlterTable.Commands[0]); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func commandSummary(c AlterCommand) string {
	parts := []string{c.Action}
	if c.Constraint != nil {
		parts = append(parts, c.Constraint.Type, c.Constraint.Name)
		if c.Constraint.NotValid {
			parts = append(parts, "not_valid")
		}
		if c.Constraint.References != nil {
			parts = append(parts, c.Constraint.References.Name)
		}
		if c.Constraint.UsingIndex != "" {
			parts = append(parts, "using="+c.Constraint.UsingIndex)
		}
		return strings.Join(parts, " ")
	}
	for _, s := range []string{c.Column, c.Name, c.Type} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if c.Using != "" {
		parts = append(parts, "using="+c.Using)
	}
	if c.Default != nil {
		parts = append(parts, c.Default.Volatility)
	}
	if c.Partition != nil {
		parts = append(parts, c.Partition.Name)
	}
	for flag, on := range map[string]bool{"if_exists": c.IfExists, "if_not_exists": c.IfNotExists, "cascade": c.Cascade, "concurrently": c.Concurrently} {
		_ = flag
		_ = on
	}
	if c.IfExists {
		parts = append(parts, "if_exists")
	}
	if c.IfNotExists {
		parts = append(parts, "if_not_exists")
	}
	if c.Cascade {
		parts = append(parts, "cascade")
	}
	if c.Concurrently {
		parts = append(parts, "concurrently")
	}
	return strings.Join(parts, " ")
}

func TestProjectStatementDetails(t *testing.T) {
	tests := []struct {
		sql   string
		check func(st Statement) bool
	}{
		{"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t USING gin (a, lower(b));", func(st Statement) bool {
			ix := st.CreateIndex
			return ix != nil && ix.Unique && ix.Concurrently && ix.IfNotExists && ix.Method == "gin" &&
				strings.Join(ix.Columns, ",") == "a,lower(b)" && st.Relation.Schema == "s"
		}},
		{"CREATE INDEX i ON t (a);", func(st Statement) bool {
			return st.CreateIndex != nil && !st.CreateIndex.Concurrently && !st.CreateIndex.Unique
		}},
		{"DROP INDEX CONCURRENTLY IF EXISTS s.i;", func(st Statement) bool {
			return st.Drop != nil && st.Drop.Concurrently && st.Drop.IfExists && st.Drop.Objects[0] == Relation{Schema: "s", Name: "i"}
		}},
		{"DROP TABLE a, b CASCADE;", func(st Statement) bool {
			return st.Kind == "drop_table" && len(st.Drop.Objects) == 2 && st.Drop.Cascade
		}},
		{"REINDEX TABLE CONCURRENTLY t;", func(st Statement) bool {
			return st.Reindex != nil && st.Reindex.Concurrently && st.Reindex.Target == "table" && st.Reindex.Name == "t"
		}},
		{"REINDEX (CONCURRENTLY false) INDEX i;", func(st Statement) bool { return st.Reindex != nil && !st.Reindex.Concurrently }},
		{"REINDEX INDEX i;", func(st Statement) bool { return st.Reindex != nil && !st.Reindex.Concurrently }},
		{"TRUNCATE a, b CASCADE;", func(st Statement) bool {
			return st.Truncate != nil && st.Truncate.Cascade && len(st.Truncate.Relations) == 2
		}},
		{"TRUNCATE a;", func(st Statement) bool { return st.Truncate != nil && !st.Truncate.Cascade }},
		{"DROP DATABASE IF EXISTS prod;", func(st Statement) bool { return st.Kind == "drop_database" && st.Database == "prod" }},
		{"VACUUM FULL t;", func(st Statement) bool { return st.Vacuum != nil && st.Vacuum.Full && st.Relation.Name == "t" }},
		{"VACUUM (FULL) t;", func(st Statement) bool { return st.Vacuum != nil && st.Vacuum.Full }},
		{"VACUUM (FULL TRUE, ANALYZE) t;", func(st Statement) bool { return st.Vacuum.Full && st.Vacuum.Analyze }},
		{"VACUUM (FULL FALSE) t;", func(st Statement) bool { return st.Vacuum != nil && !st.Vacuum.Full }},
		{"VACUUM (FULL off) t;", func(st Statement) bool { return st.Vacuum != nil && !st.Vacuum.Full }},
		{"VACUUM t;", func(st Statement) bool { return st.Vacuum != nil && !st.Vacuum.Full }},
		{"CLUSTER t USING i;", func(st Statement) bool { return st.Kind == "cluster" && st.Relation.Name == "t" }},
		{"ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok';", func(st Statement) bool {
			e := st.AlterEnum
			return e != nil && e.AddValue == "meh" && e.Before == "ok" && e.IfNotExists && e.Type == "mood"
		}},
		{"SET LOCAL statement_timeout TO 5000;", func(st Statement) bool {
			return st.Set != nil && st.Set.Name == "statement_timeout" && st.Set.Value == "5000" && st.Set.Local
		}},
		{"SET lock_timeout TO DEFAULT;", func(st Statement) bool { return st.Set != nil && st.Set.Reset && st.Set.Name == "lock_timeout" }},
		{"COPY t (a) FROM STDIN;", func(st Statement) bool { return st.Copy != nil && st.Copy.From && st.Copy.Stdin }},
		{"COPY t TO '/tmp/x';", func(st Statement) bool { return st.Copy != nil && !st.Copy.From && !st.Copy.Stdin }},
		{"UPDATE t SET a = 1;", func(st Statement) bool { return st.HasWhere != nil && !*st.HasWhere }},
		{"DELETE FROM t WHERE id = 1;", func(st Statement) bool { return st.HasWhere != nil && *st.HasWhere }},
		{"CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, u bigint REFERENCES users, CONSTRAINT c CHECK (id > 0));", func(st Statement) bool {
			c := st.CreateTable
			return c != nil && c.IfNotExists && len(c.Columns) == 2 && len(c.Constraints) == 1 && c.Constraints[0].Type == "check" &&
				c.Columns[1].Constraints[0].Type == "foreign_key"
		}},
		{"CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);", func(st Statement) bool {
			return st.CreateTable != nil && st.CreateTable.PartitionOf != nil && st.CreateTable.PartitionOf.Name == "p"
		}},
		{"CREATE TABLE t2 AS SELECT * FROM t;", func(st Statement) bool { return st.Kind == "create_table" && st.CreateTable.AsSelect }},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			f := project(t, "m.sql", tt.sql)
			if len(f.Statements) != 1 {
				t.Fatalf("got %s", shape(f))
			}
			if !tt.check(f.Statements[0]) {
				t.Errorf("unexpected projection %+v", f.Statements[0])
			}
		})
	}
}

func TestProjectTransactionsAndTimeouts(t *testing.T) {
	type row struct {
		inTx          bool
		lock, stmtOut string
	}
	tests := []struct {
		name, path, sql string
		want            []row
		unclosed        int
		implicit        bool
	}{
		{"goose wraps in a transaction; COMMIT ends it", "db/1.sql",
			"-- +goose Up\nSET lock_timeout = '2s';\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);",
			[]row{{true, "2s", ""}, {true, "2s", ""}, {false, "2s", ""}}, 0, true},
		{"goose NO TRANSACTION", "db/1.sql",
			"-- +goose Up\n-- +goose NO TRANSACTION\nCREATE INDEX CONCURRENTLY i ON t (a);",
			[]row{{false, "", ""}}, 0, false},
		{"statement_timeout is not a lock timeout", "m.sql",
			"SET statement_timeout = '5s';\nALTER TABLE t ADD COLUMN a int;",
			[]row{{false, "", "5s"}, {false, "", "5s"}}, 0, false},
		{"SET LOCAL ends with the transaction", "m.sql",
			"BEGIN;\nSET LOCAL lock_timeout = '1s';\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\nALTER TABLE t ADD COLUMN b int;",
			[]row{{true, "", ""}, {true, "1s", ""}, {true, "1s", ""}, {true, "", ""}, {false, "", ""}}, 0, false},
		{"RESET", "m.sql",
			"SET lock_timeout = '1s';\nRESET lock_timeout;\nSELECT 1;",
			[]row{{false, "1s", ""}, {false, "", ""}, {false, "", ""}}, 0, false},
		{"BEGIN without COMMIT", "m.sql",
			"SELECT 1;\nBEGIN;\nALTER TABLE t ADD COLUMN a int;",
			[]row{{false, "", ""}, {true, "", ""}, {true, "", ""}}, 2, false},
		{"dbmate transaction:false", "db/migrations/1_x.sql",
			"-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\nDROP INDEX i;",
			[]row{{false, "", ""}, {false, "", ""}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := project(t, tt.path, tt.sql)
			if f.Transaction.Implicit != tt.implicit {
				t.Errorf("implicit transaction %+v, want %v", f.Transaction, tt.implicit)
			}
			if len(f.Statements) != len(tt.want) {
				t.Fatalf("got %s", shape(f))
			}
			for i, w := range tt.want {
				st := f.Statements[i]
				if got := (row{st.InTransaction, st.LockTimeout, st.StatementTimeout}); got != w {
					t.Errorf("statement %d (%s): got %+v, want %+v", i, st.Kind, got, w)
				}
			}
			if f.UnclosedTransactionLine != tt.unclosed {
				t.Errorf("unclosed BEGIN on line %d, want %d", f.UnclosedTransactionLine, tt.unclosed)
			}
		})
	}
}

func TestProjectNestedBegin(t *testing.T) {
	f := project(t, "m.sql", "BEGIN;\nBEGIN;\nCOMMIT;\nCOMMIT;")
	got := []bool{f.Statements[0].Transaction.Nested, f.Statements[1].Transaction.Nested, f.Statements[2].Transaction.Outside, f.Statements[3].Transaction.Outside}
	if fmt.Sprint(got) != "[false true false true]" {
		t.Errorf("nested/outside flags %v", got)
	}
}

func TestProjectBodies(t *testing.T) {
	sql := `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'i') THEN
    CREATE INDEX i ON t (a);
  END IF;
  EXECUTE 'ALTER TABLE t DROP COLUMN b';
  EXECUTE format('DROP TABLE %I', 'x');
END
$$;
CREATE OR REPLACE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  ALTER TABLE u ADD COLUMN c int DEFAULT random();
  RETURN NEW;
END;
$body$;
DO LANGUAGE plpgsql $$ BEGIN broken syntax here; END $$;
CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1';`
	f := project(t, "m.sql", sql)
	want := "do@1-9 do_block:create_index@4-4 do_block:alter_table@6-6 " +
		"create_function@10-15 function_body:alter_table@12-12 do@16-16 create_function@17-17"
	if got := shape(f); got != want {
		t.Fatalf("statements\n got %q\nwant %q", got, want)
	}
	do := f.Statements[0]
	if !do.Function.BodyParsed || !do.Function.DynamicSQL {
		t.Errorf("DO block: %+v", do.Function)
	}
	if !f.Statements[2].From.Dynamic || f.Statements[2].AlterTable.Commands[0].Action != "drop_column" {
		t.Errorf("EXECUTE of a constant: %+v", f.Statements[2])
	}
	inner := f.Statements[4]
	if inner.From.Function != "f" || !inner.AlterTable.Commands[0].ColumnDef.Default.Volatile {
		t.Errorf("function body statement: %+v", inner)
	}
	if f.Statements[5].Function.BodyError == "" || f.Statements[5].Function.BodyParsed {
		t.Errorf("a body that does not parse should say so: %+v", f.Statements[5].Function)
	}
	if f.Statements[6].Function.Language != "sql" {
		t.Errorf("SQL function: %+v", f.Statements[6].Function)
	}
}

func TestProjectCopyAndMeta(t *testing.T) {
	sql := "COPY t (a, b) FROM stdin;\n1\t'it''s\n2\t\"x;\n\\.\n\\set ON_ERROR_STOP on\nCREATE INDEX i ON t (a);\n"
	f := project(t, "m.sql", sql)
	if got := shape(f); got != "copy@1-1 create_index@6-6" {
		t.Fatalf("got %q", got)
	}
	if f.Statements[0].Copy.DataLines != 2 {
		t.Errorf("data lines %d, want 2", f.Statements[0].Copy.DataLines)
	}
	if len(f.Notes) != 1 || f.Notes[0].Line != 5 {
		t.Errorf("notes %+v", f.Notes)
	}
}

func TestProjectBytes(t *testing.T) {
	// A Latin-1 é in a string and in a comment, a NUL, CRLF.
	sql := "-- caf\xe9\r\nINSERT INTO t VALUES ('caf\xe9');\r\nSELECT 1\x00;\r\nCREATE INDEX i ON t (a);\r\n"
	f := project(t, "m.sql", sql)
	if got := shape(f); got != "insert@2-2 select@3-3 create_index@4-4" {
		t.Fatalf("got %q", got)
	}
	if fmt.Sprint(f.NonUTF8Lines) != "[1 2]" {
		t.Errorf("non-UTF-8 lines %v", f.NonUTF8Lines)
	}
	if f.Lines != 4 || f.Bytes != len(sql) {
		t.Errorf("lines %d bytes %d", f.Lines, f.Bytes)
	}
}

func TestProjectLimits(t *testing.T) {
	t.Run("too large", func(t *testing.T) {
		f := Project(context.Background(), "m.sql", []byte("SELECT 1;"), Options{MaxBytes: 4})
		if f.Limit == nil || f.Limit.Reason != "size" || len(f.Statements) != 0 {
			t.Errorf("got %+v", f.Limit)
		}
	})
	t.Run("out of time", func(t *testing.T) {
		// A clock that moves a second per reading (one at the start, one per
		// parse, one per statement): the budget of 3.5 s
		// lets two statements through.
		now := time.Unix(0, 0)
		clock := func() time.Time { now = now.Add(time.Second); return now }
		f := Project(context.Background(), "m.sql", []byte("SELECT 1;\nSELECT 2;\nSELECT 3;\nSELECT 4;"), Options{Now: clock, Budget: 3500 * time.Millisecond})
		if f.Limit == nil || f.Limit.Reason != "time" || f.Limit.Line != 3 || len(f.Statements) != 2 {
			t.Errorf("limit %+v after %s", f.Limit, shape(f))
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		f := Project(ctx, "m.sql", []byte("SELECT 1;"), Options{})
		if f.Limit == nil || f.Limit.Reason != "time" || len(f.Statements) != 0 {
			t.Errorf("limit %+v after %s", f.Limit, shape(f))
		}
	})
}

func TestProjectFiveMegabytes(t *testing.T) {
	// Five megabytes in few statements (seed data in long literals, the
	// shape of a real large migration), with DDL between them and a bad
	// statement near the end: the cost of many statements is measured by
	// the benchmark instead.
	var b strings.Builder
	n := 0
	chunk := strings.Repeat("0123456789abcdef", 4096) // 64 KiB
	for b.Len() < 5<<20 {
		n++
		fmt.Fprintf(&b, "INSERT INTO seed VALUES ('%s');\nCREATE INDEX i%d ON t%d (c);\n", chunk, n, n)
	}
	b.WriteString("CREATE INDEX oops oops;\nDROP TABLE last;\n")
	f := project(t, "m.sql", b.String())
	if f.Limit != nil {
		t.Fatalf("limit %+v", f.Limit)
	}
	if len(f.Statements) != 2*n+2 {
		t.Fatalf("%d statements, want %d", len(f.Statements), 2*n+2)
	}
	last := f.Statements[len(f.Statements)-1]
	if last.Kind != "drop_table" || last.Line != 2*n+2 || f.Statements[len(f.Statements)-2].Kind != "parse_error" {
		t.Errorf("last statements: %+v", f.Statements[len(f.Statements)-2:])
	}
	if ix := f.Statements[len(f.Statements)-3]; ix.Kind != "create_index" || ix.Line != 2*n {
		t.Errorf("statement before the error: %s@%d", ix.Kind, ix.Line)
	}
}

func TestToolDefaults(t *testing.T) {
	tests := []struct {
		path, sql, tool string
		implicit        bool
		reason          string
	}{
		{"db/migrations/20240101_x.sql", "-- +goose Up\nSELECT 1;", "goose", true, "tool_default"},
		{"db/migrations/20240101_x.sql", "-- +goose Up\n-- +goose NO TRANSACTION\nSELECT 1;", "goose", false, "directive"},
		{"db/migrations/20240101_x.sql", "-- migrate:up\nSELECT 1;", "dbmate", true, "tool_default"},
		{"db/migrations/20240101_x.sql", "-- migrate:up transaction:false\nSELECT 1;", "dbmate", false, "directive"},
		{"migrations/1_x.sql", "-- +migrate Up notransaction\nSELECT 1;", "sql-migrate", false, "directive"},
		{"migrations/000001_create_users.up.sql", "SELECT 1;", "golang-migrate", false, "tool_default"},
		{"src/main/resources/db/migration/V2__add_index.sql", "SELECT 1;", "flyway", true, "tool_default"},
		{"db/migration/R__views.sql", "SELECT 1;", "flyway", true, "tool_default"},
		{"deploy/add_users.sql", "BEGIN; SELECT 1; COMMIT;", "sqitch", false, "tool_default"},
		{"db/migrate/20240101_add.sql", "SELECT 1;", "rails", true, "tool_default"},
		{"app/migrations/0002_auto.py", "", "django", true, "tool_default"},
		{"schema/changes.sql", "SELECT 1;", "", false, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.tool, func(t *testing.T) {
			f := project(t, tt.path, tt.sql)
			if f.Tool != tt.tool || f.Transaction.Implicit != tt.implicit || f.Transaction.Reason != tt.reason {
				t.Errorf("tool %q %+v, want %q implicit=%v reason=%s", f.Tool, f.Transaction, tt.tool, tt.implicit, tt.reason)
			}
			tool, mode := TransactionOf(tt.path, []byte(tt.sql), Options{})
			if tool != f.Tool || mode != f.Transaction {
				t.Errorf("TransactionOf says %q %+v, Project %q %+v", tool, mode, f.Tool, f.Transaction)
			}
		})
	}
	on := true
	f := Project(context.Background(), "x.sql", []byte("SELECT 1;"), Options{Transaction: &on})
	if !f.Transaction.Implicit || f.Transaction.Reason != "setting" || !f.Statements[0].InTransaction {
		t.Errorf("setting override: %+v", f.Transaction)
	}
}

func TestIgnores(t *testing.T) {
	sql := `-- squawk-ignore-file ban-drop-column
-- squawk-ignore require-concurrent-index-creation, renaming-column
CREATE INDEX i ON t (a);
-- mergeguard:ignore drop_table the table is empty
DROP TABLE t;
SELECT 1; -- squawk-ignore ban-drop-table
-- squawk-ignore prefer-text-field
`
	f := project(t, "m.sql", sql)
	if fmt.Sprint(f.FileIgnores) != "[drop_column]" {
		t.Errorf("file ignores %v", f.FileIgnores)
	}
	idx := f.Statements[0].Ignores
	if len(idx) != 2 || fmt.Sprint(idx[0].Checks) != "[create_index]" || fmt.Sprint(idx[1].Checks) != "[rename_column]" || idx[0].Source != "squawk" {
		t.Errorf("ignores of the index: %+v", idx)
	}
	drop := f.Statements[1].Ignores
	if len(drop) != 1 || drop[0].Source != "mergeguard" || drop[0].Reason != "the table is empty" {
		t.Errorf("ignores of the drop: %+v", drop)
	}
	// The trailing comment is not on a line of its own; the last one
	// applies to no statement.
	last := f.Ignores[len(f.Ignores)-1]
	if len(f.Statements[2].Ignores) != 0 || last.Statement != -1 || last.Rule != "prefer-text-field" || len(last.Checks) != 0 {
		t.Errorf("unattached ignore %+v", last)
	}
}

func TestDownSections(t *testing.T) {
	f := project(t, "db/1.sql", "-- +goose Up\nCREATE TABLE t (a int);\n-- +goose Down\nDROP TABLE t;\n")
	if f.Statements[0].Down || !f.Statements[1].Down {
		t.Errorf("down flags: %v %v", f.Statements[0].Down, f.Statements[1].Down)
	}
	f = project(t, "migrations/1_x.down.sql", "DROP TABLE t;")
	if !f.Statements[0].Down {
		t.Error("a .down.sql file is a down migration")
	}
}

func TestReady(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Ready(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestProjectWithAnEndedContext: the parser being ready
// is not a reason to fail, but a context that has ended stops the reading,
// and the file says where.
func TestProjectWithAnEndedContext(t *testing.T) {
	if err := Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Ready(ctx); err != nil {
		t.Fatalf("Ready with an ended context after the compile: %v; want the compile's answer (nil)", err)
	}
	f := Project(ctx, "db/migrations/0001_x.sql", []byte("CREATE INDEX i ON t (c);\nCREATE INDEX j ON t (d);\n"), Options{})
	if f.Limit == nil || f.Limit.Line != 1 {
		t.Fatalf("limit = %+v; want the reading stopped at line 1", f.Limit)
	}
}
