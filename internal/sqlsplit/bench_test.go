package sqlsplit

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// migration builds a realistic migration of about size bytes: tables,
// indexes, backfills, a trigger function with a dollar-quoted body, seed
// data with strings, comments and ignores.
func migration(size int) string {
	var b strings.Builder
	b.WriteString("-- +goose Up\n")
	for i := 0; i == 0 || b.Len() < size; i++ {
		fmt.Fprintf(&b, `-- Orders for tenant %[1]d; see the design doc.
CREATE TABLE IF NOT EXISTS "orders_%[1]d" (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'pending', -- 'pending'; 'paid'; 'shipped'
    note        text DEFAULT E'none\'s; here',
    created_at  timestamptz NOT NULL DEFAULT now()
);

/* Backfill before the index: the table is new and small. */
-- mergeguard:ignore create_index_concurrently table created in this migration
CREATE INDEX orders_%[1]d_customer ON "orders_%[1]d" (customer_id) WHERE status <> 'cancelled';
ALTER TABLE "orders_%[1]d" ADD COLUMN total numeric(12, 2) NOT NULL DEFAULT 0;
UPDATE "orders_%[1]d" SET status = 'paid; really' WHERE id IN (SELECT id FROM payments WHERE ok);

CREATE OR REPLACE FUNCTION orders_%[1]d_touch() RETURNS trigger AS $fn$
BEGIN
    NEW.updated_at := now(); -- keep in step
    IF NEW.status = 'paid' THEN
        PERFORM pg_notify('orders', $$paid;$$ || NEW.id);
    END IF;
    RETURN NEW;
END;
$fn$ LANGUAGE plpgsql;

INSERT INTO settings (key, value) VALUES
    ('orders_%[1]d.limit', '100'),
    ('orders_%[1]d.name', 'Orders ''%[1]d'''),
    ('orders_%[1]d.path', '/var/lib/orders;%[1]d');

`, i)
	}
	b.WriteString("-- +goose Down\nDROP TABLE orders_0;\n")
	return b.String()
}

// BenchmarkSplit splits a ~1 MB migration:
//
//	go test -run '^$' -bench BenchmarkSplit -benchmem ./internal/sqlsplit
func BenchmarkSplit(b *testing.B) {
	src := migration(1 << 20)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		res := SplitFile(src, 1)
		if res.Truncated || len(res.Statements) < 1000 {
			b.Fatalf("%d statements, truncated %v", len(res.Statements), res.Truncated)
		}
	}
}

func TestMigrationSample(t *testing.T) {
	src := migration(1)
	res := SplitFile(src, 1)
	// Six statements per block plus the Down one.
	if len(res.Statements) != 7 || res.Truncated || len(res.UnattachedIgnores) != 0 {
		t.Fatalf("got %s, unattached %v", dump(res.Statements), res.UnattachedIgnores)
	}
	idx := res.Statements[1]
	if idx.Code != `CREATE INDEX orders_0_customer ON "orders_0" (customer_id) WHERE status <> ''` ||
		idx.Line != 13 || len(idx.Ignores) != 1 || idx.Ignores[0].Line != 12 {
		t.Errorf("index statement %#v", idx)
	}
	if fn := res.Statements[4]; fn.Code != "CREATE OR REPLACE FUNCTION orders_0_touch() RETURNS trigger AS $$ $$ LANGUAGE plpgsql" || fn.Line != 17 || fn.EndLine != 25 {
		t.Errorf("function statement %#v", fn)
	}
	if last := res.Statements[6]; !last.Down || last.Text != "DROP TABLE orders_0;" {
		t.Errorf("down statement %#v", last)
	}
}

// Inputs built to make a careless lexer quadratic finish in about the time
// of a plain pass; the bound is loose so that a loaded machine passes.
func TestSplitPathologicalInputsAreLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	const n = 4 << 20
	for _, src := range []string{
		strings.Repeat(";", n),
		strings.Repeat("/*", n/2),
		strings.Repeat("$a", n/2),
		"$" + strings.Repeat("a", n) + " $",
		"$x$" + strings.Repeat("$x", n/2),
		strings.Repeat("(", n),
		strings.Repeat("E'\\", n/3),
		strings.Repeat("-- mergeguard:ignore r why\n", n/27),
		"SELECT 1 " + strings.Repeat("-- mergeguard:ignore r\n", n/23) + "-- +goose Down\n",
		strings.Repeat("\\x\n", n/3),
		strings.Repeat("a;", n/2),
		strings.Repeat("'a'\n", n/4),
	} {
		start := time.Now()
		res := SplitFile(src, 1)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%q...: %v for %d bytes (%d statements)", src[:10], d, len(src), len(res.Statements))
		}
	}
}
