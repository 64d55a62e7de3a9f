package migration

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
	"github.com/wasilibs/go-pgquery/parser"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/mergeguard/mergeguard/internal/sqlsplit"
)

// trickyStatements are statements whose JSON has escapes, unusual numbers
// or rare nodes.
var trickyStatements = []string{
	`SELECT 'ünïcødé', "ταБЬℓσ", '日本語', '😀', U&'\0041\+01F600' FROM "schéma"."täble";`,
	`SELECT 'it''s', E'a\tb\nc\rd\be\ff', E'\\', E'\'', E'\x01\x1f\x7f', '"quoted"', '<>&/\';`,
	`SELECT E'\u00e9\U0001F600', $q$ $$ ' " \ $q$;`,
	`SELECT a < b, a > b, a <> b, a <= b, '<tag>' FROM t WHERE x->>'k' > '0' AND y @> '{}';`,
	`SELECT 9223372036854775807, 9223372036854775808, -9223372036854775808, 2147483647, 2147483648, -2147483648, -2147483649;`,
	`SELECT 1e400, -1e400, 1.5e-400, 0.0, -0.0, 00012, 0x1F, 0o17, 0b101, 1_000_000, .5, 5., 1e3;`,
	`SELECT -1, -(-1), +1, 0, - 0;`,
	`SELECT true, false, NULL, B'1010', X'FF', TRUE AND NOT FALSE, NULL::int IS NULL;`,
	`SELECT ARRAY[]::int[], '{}'::text[], '{{}}', ROW(); VALUES (1), (2);`,
	`SELECT FROM t;`,
	`SELECT;`,
	`CREATE TABLE t ();`,
	`DO $$ BEGIN RAISE NOTICE 'x <%>', 1; EXECUTE 'DROP TABLE "t"'; END $$;`,
	`DO LANGUAGE plpgsql $body$ DECLARE x int := 1; BEGIN NULL; END $body$;`,
	`COPY t (a, "b c") FROM stdin WITH (FORMAT csv, DELIMITER E'\t', NULL '\N', QUOTE '"');`,
	`COPY (SELECT 1) TO STDOUT;`,
	"CREATE FUNCTION f(a int DEFAULT 1, OUT b text) RETURNS SETOF record LANGUAGE plpgsql STRICT IMMUTABLE AS $fn$\nBEGIN\n  RETURN QUERY SELECT 'x''y';\nEND\n$fn$;",
	`CREATE OR REPLACE FUNCTION g() RETURNS trigger AS 'BEGIN RETURN NEW; END' LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp;`,
	`CREATE TRIGGER tr BEFORE INSERT OR UPDATE OF a ON t FOR EACH ROW WHEN (NEW.a IS DISTINCT FROM OLD.a) EXECUTE FUNCTION g();`,
	`CREATE TABLE p (id bigint GENERATED ALWAYS AS IDENTITY (START 1 MINVALUE -9223372036854775808), d numeric(10, 2) DEFAULT -0.5, ts timestamptz(3) DEFAULT now(), CHECK (d > -1e10), EXCLUDE USING gist (id WITH =)) PARTITION BY RANGE (id);`,
	`CREATE TABLE c PARTITION OF p FOR VALUES FROM (MINVALUE) TO (100);`,
	`ALTER TABLE t ADD COLUMN a int DEFAULT 1 NOT NULL, ALTER COLUMN b TYPE text USING b::text, DROP CONSTRAINT IF EXISTS k CASCADE, ALTER COLUMN c SET STATISTICS -1;`,
	`CREATE UNIQUE INDEX CONCURRENTLY i ON t USING btree (lower(a) DESC NULLS LAST, b text_pattern_ops) INCLUDE (c) WITH (fillfactor = 70) WHERE a IS NOT NULL;`,
	`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT sum(n) OVER (PARTITION BY n % 2 ORDER BY n ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM r;`,
	`INSERT INTO t (a, b) VALUES (1, DEFAULT), ($1, $2) ON CONFLICT (a) DO UPDATE SET b = EXCLUDED.b RETURNING *;`,
	`UPDATE t SET (a, b) = (SELECT 1, 2) WHERE CURRENT OF c;`,
	`MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.id);`,
	`SELECT INTERVAL '1' DAY, '1 day'::interval HOUR TO SECOND(3), CAST('1' AS varchar(10)), x COLLATE "C", 'a' SIMILAR TO 'b' ESCAPE '\';`,
	`SELECT json_object('a': 1 ABSENT ON NULL RETURNING jsonb) FROM JSON_TABLE(j, '$[*]' COLUMNS (a int PATH '$.a')) AS jt;`,
	`SET search_path = "$user", public; SET LOCAL lock_timeout TO '2s'; RESET ALL; SET x = on;`,
	`VACUUM (FULL FALSE, ANALYZE) t (a); ANALYZE; CLUSTER; CHECKPOINT;`,
	`GRANT SELECT, UPDATE (a) ON t TO PUBLIC WITH GRANT OPTION; REVOKE ALL ON SCHEMA s FROM "Role ""x""";`,
	`COMMENT ON COLUMN t.a IS E'line1\nline2 \u00e9 "q"';`,
	`CREATE POLICY p ON t USING (owner = current_user) WITH CHECK (true);`,
	`ALTER TYPE mood ADD VALUE IF NOT EXISTS 'mëh' BEFORE 'ok'; CREATE TYPE c AS (a int, b text[]);`,
	`CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public VERSION '1.1';`,
	`PREPARE q(int) AS SELECT $1; EXECUTE q(1); DEALLOCATE q;`,
	`FETCH ALL FROM c; FETCH FORWARD 5 c; MOVE BACKWARD ALL IN c; FETCH -3 c;`,
	`LISTEN "chan"; NOTIFY chan, 'payload'; LOCK TABLE t IN ACCESS EXCLUSIVE MODE NOWAIT;`,
	`SELECT * FROM t TABLESAMPLE SYSTEM (10) REPEATABLE (1), LATERAL unnest(ARRAY[1, 2]) WITH ORDINALITY AS u(x, n) FOR UPDATE SKIP LOCKED;`,
	`SELECT a[1:2], (b).c, d.*, $1::int[], ARRAY(SELECT 1), EXISTS (SELECT), x IN (1, 2), y = ANY ('{1}'), z BETWEEN SYMMETRIC 1 AND 2;`,
	`SELECT CASE WHEN a THEN 1 ELSE NULL END, COALESCE(a, b), GREATEST(1, 2), NULLIF(a, b), XMLELEMENT(NAME "x", 'y'), current_date;`,
	"SELECT '\u2028\u2029', 'tab\there', 'x';",
	`;;; SELECT 1;;`,
	``,
	`   `,
	`-- only a comment`,
}

// badStatements are texts PostgreSQL rejects.
var badStatements = []string{
	`SELECT FROM WHERE;`,
	`CREATE INDEX oops oops;`,
	`SELECT 'ünï' FROM "τ" WHERE é = ;`,
	`SELECT 'unterminated`,
	`SELECT E'\u0000';`,
	`SELECT U&'\D800';`,
	`SELECT 1; SELECT 2; SELEC 3;`,
	`CREATE TABLE t (a int`,
	`$$`,
	`SELECT 😀 😀 😀;`,
}

// parseJSONPath is the JSON path without the fallback: a decoding failure
// is returned as such.
func parseJSONPath(src string) (*pg.ParseResult, error) {
	js, err := parseToJSON(src)
	if err != nil {
		return nil, err
	}
	return decodeParseTree(js)
}

// sameParse checks that src gives the same tree, or the same error, on the
// JSON path and on the protobuf path, and that parseSQL gives it too.
func sameParse(t testing.TB, src string) {
	t.Helper()
	want, werr := parseProtobuf(src)
	got, gerr := parseJSONPath(src)
	switch {
	case werr == nil && gerr == nil:
		if !proto.Equal(got, want) {
			t.Fatalf("%.200q: the trees differ\n json: %.2000v\nproto: %.2000v", src, got, want)
		}
	case werr != nil && gerr != nil:
		var se *syntaxError
		if errors.As(werr, &se) || errors.As(gerr, &se) {
			if !reflect.DeepEqual(gerr, werr) {
				t.Fatalf("%.200q: errors differ\n json: %#v\nproto: %#v", src, gerr, werr)
			}
		}
		// Otherwise neither path could build the tree (a string that
		// is not UTF-8, for one); parseSQL answers as the protobuf
		// path.
	default:
		t.Fatalf("%.200q:\n json: %v\nproto: %v", src, gerr, werr)
	}
	res, err := parseSQL(src)
	if !proto.Equal(res, want) || !reflect.DeepEqual(err, werr) {
		t.Fatalf("%.200q: parseSQL gives %v, %v; the protobuf path %v, %v", src, res, err, want, werr)
	}
}

func TestParseTreeJSONTricky(t *testing.T) {
	for _, src := range trickyStatements {
		sameParse(t, src)
		if _, err := parseJSONPath(src); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
	for _, src := range badStatements {
		sameParse(t, src)
		var se *syntaxError
		if _, err := parseSQL(src); !errors.As(err, &se) {
			t.Errorf("%q: want a syntax error, got %v", src, err)
		}
	}
}

func TestParseTreeJSONMigration5000(t *testing.T) {
	sameParse(t, migration5000())
}

// TestParseTreeJSONCorpus compares the paths on every file of the corpus,
// whole and statement by statement.
func TestParseTreeJSONCorpus(t *testing.T) {
	for _, f := range corpusSQL(t) {
		sameParse(t, string(f.SQL))
		for _, st := range sqlsplit.SplitFile(string(f.SQL), 1).Statements {
			sameParse(t, st.Text)
		}
	}
}

// TestParseSyntaxErrors checks that a syntax error reads the same on both
// paths and as asSyntaxError made it of pg_query.Parse's error: message,
// and byte offset from libpg_query's character cursor.
func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct {
		src, msg string
		offset   int
	}{
		{"SELECT FROM WHERE;", `syntax error at or near "WHERE"`, 12},
		{"SELECT 'é', 'ü' FROM t WHERE a = ;", `syntax error at or near ";"`, 35},
		{"SELECT 'unterminated", "unterminated quoted string at or near \"'unterminated\"", 7},
		{"CREATE TABLE t (a int", "syntax error at end of input", 21},
	}
	for _, tt := range tests {
		_, err := parseSQL(tt.src)
		var se *syntaxError
		if !errors.As(err, &se) || se.Message != tt.msg || se.Offset != tt.offset {
			t.Errorf("%q: got %#v, want %q at %d", tt.src, err, tt.msg, tt.offset)
		}
		if _, perr := parseProtobuf(tt.src); !reflect.DeepEqual(perr, err) {
			t.Errorf("%q: the protobuf path says %#v", tt.src, perr)
		}
		if _, jerr := parser.ParseToJSON(tt.src); jerr == nil || !reflect.DeepEqual(asSyntaxError(tt.src, jerr), err) {
			t.Errorf("%q: ParseToJSON says %#v", tt.src, jerr)
		}
	}
}

// TestParseLargeTextTakesProtobufPath checks the path for texts above
// jsonParseMaxBytes, whose JSON would be too large to hold.
func TestParseLargeTextTakesProtobufPath(t *testing.T) {
	var b strings.Builder
	for b.Len() <= jsonParseMaxBytes {
		b.WriteString("ALTER TABLE t ADD COLUMN c integer DEFAULT floor(random() * 10) NOT NULL REFERENCES u (id);\n")
	}
	src := b.String()
	got, err := parseSQL(src)
	if err != nil {
		t.Fatal(err)
	}
	want, err := parseProtobuf(src)
	if err != nil || !proto.Equal(got, want) {
		t.Fatalf("the trees differ (%v)", err)
	}
}

// TestDecodeParseTreeRefuses checks that JSON the decoder cannot map
// exactly is an error, never a different tree.
func TestDecodeParseTreeRefuses(t *testing.T) {
	const stmt = `{"version":170007,"stmts":[{"stmt":{"SelectStmt":{"targetList":[{"ResTarget":{"val":{"A_Const":{"ival":{"ival":1},"location":7}},"location":7}}],"limitOption":"LIMIT_OPTION_DEFAULT","op":"SETOP_NONE"}},"stmt_len":8}]}`
	if _, err := decodeParseTree(stmt); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"unknown key":          strings.Replace(stmt, `"stmt_len"`, `"stmt_length"`, 1),
		"repeated key":         strings.Replace(stmt, `"stmt_len":8`, `"stmt_len":8,"stmt_len":9`, 1),
		"two node types":       strings.Replace(stmt, `{"SelectStmt":`, `{"DoStmt":{},"SelectStmt":`, 1),
		"null":                 strings.Replace(stmt, `{"ival":1}`, `null`, 1),
		"null string":          strings.Replace(stmt, `"op":"SETOP_NONE"`, `"op":null`, 1),
		"unknown enum value":   strings.Replace(stmt, `SETOP_NONE`, `SETOP_NEW`, 1),
		"enum as number":       strings.Replace(stmt, `"SETOP_NONE"`, `1`, 1),
		"int32 out of range":   strings.Replace(stmt, `"ival":1`, `"ival":2147483648`, 1),
		"fraction in an int":   strings.Replace(stmt, `"ival":1`, `"ival":1.0`, 1),
		"string for an int":    strings.Replace(stmt, `"ival":1`, `"ival":"1"`, 1),
		"object for a string":  strings.Replace(stmt, `"LIMIT_OPTION_DEFAULT"`, `{}`, 1),
		"whitespace":           strings.Replace(stmt, `"stmt_len":8`, `"stmt_len": 8`, 1),
		"text after the tree":  stmt + " ",
		"a second tree":        stmt + stmt,
		"truncated":            stmt[:len(stmt)-1],
		"empty":                ``,
		"array for an object":  `[]`,
		"object for an array":  `{"stmts":{}}`,
		"not UTF-8":            `{"stmts":[{"stmt":{"String":{"sval":"\xff"}}}]}`,
		"lone surrogate":       `{"stmts":[{"stmt":{"String":{"sval":"\ud800"}}}]}`,
		"bad escape":           `{"stmts":[{"stmt":{"String":{"sval":"\x"}}}]}`,
		"control character":    "{\"stmts\":[{\"stmt\":{\"String\":{\"sval\":\"\n\"}}}]}",
		"escape in a key":      `{"vers\u0069on":1}`,
		"too deep":             `{"stmts":[{"stmt":` + strings.Repeat(`{"List":{"items":[`, maxTreeDepth/2) + strings.Repeat(`]}}`, maxTreeDepth/2) + `}]}`,
		"value without a key":  `{1}`,
		"trailing comma":       `{"version":1,}`,
		"missing colon":        `{"version"1}`,
		"boolean misspelt":     `{"stmts":[{"stmt":{"Boolean":{"boolval":tru}}}]}`,
		"uint32 negative":      `{"stmts":[{"stmt":{"Var":{"vartype":-1}}}]}`,
		"int64 out of range":   `{"stmts":[{"stmt":{"FetchStmt":{"howMany":9223372036854775808}}}]}`,
		"double out of range":  `{"stmts":[{"stmt":{"RangeTblEntry":{"enrtuples":1e400}}}]}`,
		"unterminated string":  `{"stmts":[{"stmt":{"String":{"sval":"abc`,
		"unterminated escape":  `{"stmts":[{"stmt":{"String":{"sval":"abc\`,
		"unterminated unicode": `{"stmts":[{"stmt":{"String":{"sval":"\u00`,
	}
	for name, js := range bad {
		if res, err := decodeParseTree(js); err == nil {
			t.Errorf("%s: decoded %v", name, res)
		} else if !errors.Is(err, errTreeJSON) {
			t.Errorf("%s: %v does not wrap errTreeJSON", name, err)
		}
	}
	// What libpg_query does not write but is plainly JSON for the same
	// values is read as such.
	good := map[string]string{
		"escapes":            `{"stmts":[{"stmt":{"String":{"sval":"\"\\\/\b\f\n\r\t\u003c\u00e9\ud83d\ude00"}}}]}`,
		"int64 as a string":  `{"stmts":[{"stmt":{"FetchStmt":{"howMany":"-5"}}}]}`,
		"uint64 as a string": `{"stmts":[{"stmt":{"RTEPermissionInfo":{"requiredPerms":"18446744073709551615"}}}]}`,
		"uint64":             `{"stmts":[{"stmt":{"RTEPermissionInfo":{"requiredPerms":18446744073709551615}}}]}`,
		"double":             `{"stmts":[{"stmt":{"RangeTblEntry":{"enrtuples":-1.5e3}}}]}`,
		"proto names":        `{"stmts":[{"stmt":{"ColumnDef":{"type_name":{"typemod":-1},"is_local":true}},"stmt_len":3}]}`,
		"empty lists":        `{"stmts":[{"stmt":{"List":{"items":[]}}},{"stmt":{"List":{"items":[{}]}}}]}`,
	}
	for name, js := range good {
		got, err := decodeParseTree(js)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := &pg.ParseResult{}
		if err := protojson.Unmarshal([]byte(js), want); err != nil {
			t.Fatalf("%s: protojson: %v", name, err)
		}
		if !proto.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
}

// FuzzParseTreeJSON compares the JSON path with the protobuf path on
// arbitrary text: the same tree, or the same error.
func FuzzParseTreeJSON(f *testing.F) {
	for _, s := range append(trickyStatements, badStatements...) {
		f.Add(s)
	}
	f.Add("SELECT '\xff\xfe';")
	f.Add("SELECT 1\x00; DROP TABLE t;")
	f.Fuzz(func(t *testing.T, src string) {
		sameParse(t, src)
	})
}

// FuzzDecodeParseTree feeds arbitrary JSON to the decoder: it must not
// panic, and what it decodes must be what protojson reads from the same
// JSON whenever protojson reads it.
func FuzzDecodeParseTree(f *testing.F) {
	for _, s := range trickyStatements {
		js, err := parser.ParseToJSON(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(js)
	}
	f.Fuzz(func(t *testing.T, js string) {
		got, err := decodeParseTree(js)
		if err != nil {
			return
		}
		want := &pg.ParseResult{}
		if protojson.Unmarshal([]byte(js), want) == nil && !proto.Equal(got, want) {
			t.Fatalf("%q:\n got %v\nwant %v", js, got, want)
		}
	})
}
