package migration

import (
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// TestRenderMatchesDeparse checks the fast printer against PostgreSQL's
// own deparser on the shapes it handles, so the two never disagree.
func TestRenderMatchesDeparse(t *testing.T) {
	exprs := []string{
		"floor(random() * 10)", "now()", "'it''s'", "NULL", "42", "1.5", "true", "a.b", "-x",
		"(a + 1) * 2", "a::bigint", "'x'::text", "a > 0 AND (b IS NOT NULL OR c IS NULL)", "NOT a",
		"pg_catalog.random()", "CURRENT_TIMESTAMP", "lower(b)", "coalesce(a, 0)", "x IS NULL",
		"count(*)", "(a + 1) IS NULL", "NOT (a AND b)", "c > 0 OR c IS NULL", "f(a)::text", "'{}'::int[]", "CURRENT_TIMESTAMP(3)", "b'101'", "a IN (1, 2)",
	}
	for _, e := range exprs {
		t.Run(e, func(t *testing.T) {
			res, err := parseSQL("SELECT " + e)
			if err != nil {
				t.Fatal(err)
			}
			n := res.GetStmts()[0].GetStmt().GetSelectStmt().GetTargetList()[0].GetResTarget().GetVal()
			got, ok := renderExpr(n, 0)
			if !ok {
				return // deparsed instead: nothing to compare
			}
			tree := &pg.ParseResult{Stmts: res.GetStmts()}
			want, err := deparse(tree)
			if err != nil {
				t.Fatal(err)
			}
			if "SELECT "+got != want {
				t.Errorf("rendered %q, PostgreSQL prints %q", got, want)
			}
		})
	}
}
