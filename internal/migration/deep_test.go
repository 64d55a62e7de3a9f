package migration

import (
	"strings"
	"testing"
)

func TestProjectDeepNesting(t *testing.T) {
	// PostgreSQL refuses expressions nested deeper than its stack allows;
	// inside WebAssembly that must stay a parse error, not a crash, and
	// the parser must go on working for the statements after it.
	sql := "SELECT " + strings.Repeat("(", 11000) + "1" + strings.Repeat(")", 11000) + ";\nCREATE INDEX i ON t (a);\n"
	f := project(t, "m.sql", sql)
	if got := shape(f); got != "parse_error@1-1 create_index@2-2" && got != "select@1-1 create_index@2-2" {
		t.Fatalf("got %q", got)
	}
	if f := project(t, "m.sql", "DROP TABLE t;"); shape(f) != "drop_table@1-1" {
		t.Fatalf("the parser no longer works after deep nesting: %q", shape(f))
	}
}
