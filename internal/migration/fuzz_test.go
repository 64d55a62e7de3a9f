package migration

import (
	"math"
	"testing"
)

// FuzzProject feeds arbitrary bytes and paths through the projection: it
// must never panic, everything it reports must point inside the file, and
// reading the file in chunks (see chunk.go) must give the same result as
// reading it whole.
func FuzzProject(f *testing.F) {
	seeds := []string{
		"CREATE INDEX i ON t (a);",
		"ALTER TABLE t ADD COLUMN a int DEFAULT random() REFERENCES u, ADD CONSTRAINT c CHECK (a > 0) NOT VALID;",
		"-- +goose Up\r\n-- +goose NO TRANSACTION\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n-- +goose Down\r\nDROP INDEX i;",
		"DO $$ BEGIN EXECUTE 'DROP TABLE t'; ALTER TABLE u DROP COLUMN a; END $$;",
		"CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $b$\nBEGIN\n  CREATE INDEX i ON t (a);\nEND\n$b$;",
		"COPY t FROM stdin;\n1\t'x\n\\.\nSELECT 'unterminated;\nDROP TABLE t;",
		"BEGIN; BEGIN; SET LOCAL lock_timeout = '1s'; COMMIT; ROLLBACK; RESET ALL;",
		"-- squawk-ignore-file\n-- squawk-ignore ban-drop-table, x\nDROP TABLE t;\n-- mergeguard:ignore all\n",
		"SELECT \xff\xfe\x00;\nVACUUM (FULL FALSE) t;",
		"\\set x 1\nCREATE INDEX oops oops;\n/* unterminated",
	}
	for _, s := range seeds {
		f.Add("db/migrations/1_x.sql", []byte(s))
	}
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		file, whole := projectChunked(t, path, data, math.MaxInt, chunkBytes)
		if file == nil {
			t.Fatal("nil projection")
		}
		lines := max(file.Lines, 1)
		for i, st := range file.Statements {
			if st.Index != i {
				t.Fatalf("statement %d has index %d", i, st.Index)
			}
			if st.Line < 1 || st.EndLine < st.Line || st.EndLine > lines {
				t.Fatalf("statement %d (%s) spans lines %d-%d of %d", i, st.Kind, st.Line, st.EndLine, file.Lines)
			}
			if st.Kind == "parse_error" && (st.Error == nil || st.Error.Line < 1 || st.Error.Line > lines) {
				t.Fatalf("parse error %+v of a %d-line file", st.Error, file.Lines)
			}
		}
		for _, ig := range file.Ignores {
			if ig.Line < 1 || ig.Line > lines || ig.Statement >= len(file.Statements) || ig.Statement < -1 {
				t.Fatalf("ignore %+v out of range", ig)
			}
		}
		for _, n := range file.Notes {
			if n.Line < 1 || n.Line > lines+1 || n.EndLine > lines {
				t.Fatalf("note %+v out of range", n)
			}
		}
		// Every statement a chunk, and a few statements a chunk.
		for _, size := range []int{1, 64} {
			if chunked := projectJSON(t, path, data, 0, size); chunked != whole {
				t.Fatalf("read in chunks of %d bytes:\n%s\nread whole:\n%s", size, chunked, whole)
			}
		}
	})
}
