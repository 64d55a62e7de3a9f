// Package migration reads a database migration file with PostgreSQL's own
// parser and projects it into a document the migration rules can read
// without knowing the parser's tree: each statement's kind, lines, target
// relation and the details that decide whether it is dangerous (column
// definitions with their default's volatility and inline constraints,
// index and constraint options, the transaction and timeouts in force).
//
// Project is pure: the bytes of a file, its path and Options in, a *File
// out. It never fails and never panics; what it could not read is in the
// result (parse-error statements, File.Limit, File.Notes). The JSON field
// names are documented in docs/migrations.md.
//
// The parser is libpg_query (PostgreSQL 17's grammar) compiled to
// WebAssembly and run by wazero, through github.com/wasilibs/go-pgquery:
// pure Go, so the binary stays static. Compiling the module costs about
// two seconds of CPU, once per process: call Warm at start-up and Ready
// where readiness is decided. Every call into the parser goes through one
// lock, which is what keeps it to one compile; other packages should parse
// SQL through this package rather than call go-pgquery themselves.
//
// Why a projection rather than the parse tree: libpg_query's tree changes
// between PostgreSQL releases and spells things the grammar's way (a
// column's NOT NULL is a constraint node, VACUUM FULL is an option list,
// a rename is its own statement type); rules written against it would
// break and would each have to know those details. The projection is the
// stable contract.
//
// What comes from elsewhere: function volatility from PostgreSQL's
// pg_proc (volatility_gen.go, made by internal/genvolatility), the
// migration tools' transaction defaults (ToolDefaults), squawk's rule
// names (SquawkRules). The lexical splitter in internal/sqlsplit is used
// only to find where a statement PostgreSQL rejects ends, so that what
// follows is still read.
package migration
