package migration

import "time"

// File is the projection of one migration file: what the policy reads.
// Every field is documented in docs/migrations.md; the JSON names are the
// contract with the Rego rules.
type File struct {
	Path string `json:"path"`
	// Bytes is the file's size; Lines its number of lines.
	Bytes int `json:"bytes"`
	Lines int `json:"lines"`
	// Tool is the migration tool the path or the directives point to
	// ("goose", "dbmate", "golang-migrate", "flyway", "rails", "django",
	// "sqitch", "sql-migrate", or "" when none is recognised).
	Tool string `json:"tool"`
	// Transaction says whether the tool wraps the file in a transaction.
	Transaction TransactionMode `json:"transaction"`
	// Statements are the file's statements in order, including the ones
	// found inside DO blocks and PL/pgSQL function bodies (marked with
	// From) right after the statement that holds them, and parse errors
	// (kind "parse_error").
	Statements []Statement `json:"statements"`
	// Kinds are the indexes in Statements of the statements of each kind,
	// in order: a rule looks up the few statements of the kinds it checks
	// instead of scanning every statement of a long migration.
	Kinds map[string][]int `json:"kinds"`
	// Actions are the ALTER TABLE subcommands (of alter_table statements)
	// of each action, in order, as [statement index, command index]
	// pairs: a rule visits the subcommands it checks instead of grouping
	// every subcommand of a long migration itself.
	Actions map[string][][2]int `json:"actions"`
	// Ignores are all the ignore comments of the file, attached or not.
	Ignores []Ignore `json:"ignores"`
	// FileIgnores are the checks a "-- squawk-ignore-file" comment turns
	// off for the whole file.
	FileIgnores []string `json:"file_ignores"`
	// UnclosedTransactionLine is the line of a BEGIN that no COMMIT or
	// ROLLBACK ends (0 when every transaction is closed).
	UnclosedTransactionLine int `json:"unclosed_transaction_line"`
	// Limit is set when the file was not read whole: it is too large, or
	// reading it took longer than the budget. Statements holds what was
	// read before the limit.
	Limit *Limit `json:"limit,omitempty"`
	// NonUTF8Lines are the lines (at most 100) holding bytes that are not
	// UTF-8; each such byte was read as '?'.
	NonUTF8Lines []int `json:"non_utf8_lines"`
	// Notes are remarks about the reading: psql meta-commands skipped,
	// COPY data skipped, a COPY block without its end marker.
	Notes []Note `json:"notes"`
}

// Limit is why a file was not read whole.
type Limit struct {
	// Reason is "parser" (PostgreSQL's parser could not be compiled, or the
	// context ended while waiting for it), "size" (the file is larger than
	// MaxBytes) or "time" (the reading took longer than the budget, which
	// starts once the parser is ready).
	Reason string `json:"reason"`
	// Line is the first line not read (1 for a file too large to read).
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// Note is a remark about how part of the file was read.
type Note struct {
	Line    int    `json:"line"`
	EndLine int    `json:"end_line"`
	Message string `json:"message"`
}

// TransactionMode is whether the migration tool runs the file inside a
// transaction of its own, and why mergeguard thinks so.
type TransactionMode struct {
	Implicit bool `json:"implicit"`
	// Reason is "directive" (a comment in the file says), "tool_default"
	// (the tool's documented default for such a file), "setting" (the
	// configuration says) or "unknown" (no tool recognised: no implicit
	// transaction is assumed).
	Reason string `json:"reason"`
	// Directive is the comment that decided, and DirectiveLine its line
	// (0 when no directive decided).
	Directive     string `json:"directive"`
	DirectiveLine int    `json:"directive_line"`
}

// Relation is a table, index or other relation named by a statement.
type Relation struct {
	Schema string `json:"schema,omitempty"`
	Name   string `json:"name"`
}

// Statement is one statement of the migration.
type Statement struct {
	// Index is the statement's position in Statements.
	Index int `json:"index"`
	// Kind is what the statement does, in snake case: create_table,
	// alter_table, create_index, drop_table, drop_index, reindex,
	// truncate, drop_database, vacuum, cluster, alter_enum, set, reset,
	// begin, commit, rollback, copy, do, create_function, update, delete,
	// insert, select, ... and "parse_error" for text PostgreSQL rejects.
	Kind string `json:"kind"`
	// Line and EndLine are the 1-based lines of the statement's first and
	// last character (the ';' included).
	Line    int `json:"line"`
	EndLine int `json:"end_line"`
	// Text is the statement as written, cut at 1,000 bytes.
	Text string `json:"text"`
	// Relation is the relation the statement acts on, when it has one.
	Relation *Relation `json:"relation,omitempty"`
	// Down is true for a statement of a down migration (after "-- +goose
	// Down", "-- migrate:down" or "-- +migrate Down"): a deploy does not
	// run it.
	Down bool `json:"down,omitempty"`
	// From is set on statements found inside a DO block or a function
	// body: they run when the block or the function runs.
	From *Origin `json:"from,omitempty"`
	// InTransaction is true when the statement runs inside a transaction:
	// the tool's implicit one or an explicit BEGIN.
	InTransaction bool `json:"in_transaction,omitempty"`
	// ExplicitTransaction is true when an explicit BEGIN (of this file)
	// is open.
	ExplicitTransaction bool `json:"explicit_transaction,omitempty"`
	// LockTimeout and StatementTimeout are the values set by SET earlier
	// in the file and in force for this statement ("" when none).
	LockTimeout      string `json:"lock_timeout,omitempty"`
	StatementTimeout string `json:"statement_timeout,omitempty"`
	// Ignores are the ignore comments that apply to this statement: on
	// the lines directly above it.
	Ignores []Ignore `json:"ignores,omitempty"`

	Error       *ParseError    `json:"error,omitempty"`
	AlterTable  *AlterTable    `json:"alter_table,omitempty"`
	CreateTable *CreateTable   `json:"create_table,omitempty"`
	CreateIndex *Index         `json:"create_index,omitempty"`
	Drop        *Drop          `json:"drop,omitempty"`
	Reindex     *Reindex       `json:"reindex,omitempty"`
	Truncate    *Truncate      `json:"truncate,omitempty"`
	Vacuum      *Vacuum        `json:"vacuum,omitempty"`
	AlterEnum   *AlterEnum     `json:"alter_enum,omitempty"`
	Set         *Set           `json:"set,omitempty"`
	Transaction *TransactionOp `json:"transaction,omitempty"`
	Copy        *Copy          `json:"copy,omitempty"`
	Function    *Function      `json:"function,omitempty"`
	// HasWhere is set for UPDATE and DELETE: whether they have a WHERE.
	HasWhere *bool `json:"has_where,omitempty"`
	// Database is the database DROP DATABASE names.
	Database string `json:"database,omitempty"`
}

// Origin says where a statement found inside another came from.
type Origin struct {
	// Kind is "do_block" or "function_body".
	Kind string `json:"kind"`
	// Line is the line of the DO or CREATE FUNCTION statement.
	Line int `json:"line"`
	// Function is the function's name ("" for a DO block).
	Function string `json:"function"`
	// Dynamic is true when the statement is the constant string of an
	// EXECUTE.
	Dynamic bool `json:"dynamic"`
}

// ParseError is PostgreSQL's complaint about text it cannot parse.
type ParseError struct {
	Message string `json:"message"`
	// Line is the line PostgreSQL points at.
	Line int `json:"line"`
}

// AlterTable is an ALTER TABLE (or ALTER INDEX, ...; see ObjectType) and
// RENAME of a table or column.
type AlterTable struct {
	// ObjectType is "table", "index", "view", "materialized_view",
	// "sequence", "foreign_table" or "type".
	ObjectType string         `json:"object_type"`
	IfExists   bool           `json:"if_exists,omitempty"`
	Only       bool           `json:"only,omitempty"`
	Commands   []AlterCommand `json:"commands"`
}

// AlterCommand is one subcommand of an ALTER TABLE.
type AlterCommand struct {
	// Action: add_column, drop_column, alter_column_type, set_default,
	// drop_default, set_not_null, drop_not_null, add_constraint,
	// validate_constraint, drop_constraint, rename_column, rename_table,
	// rename_constraint, attach_partition, detach_partition,
	// detach_partition_finalize, set_tablespace, set_logged,
	// set_unlogged, add_identity, set_identity, drop_identity,
	// set_statistics, set_storage, ... (the subcommand's name in snake
	// case when it is none of these).
	Action string `json:"action"`
	// Column is the column acted on (the new column for add_column).
	Column     string      `json:"column,omitempty"`
	ColumnDef  *Column     `json:"column_def,omitempty"`
	Constraint *Constraint `json:"constraint,omitempty"`
	// Name is the constraint's name for validate_constraint and
	// drop_constraint, the new name for renames.
	Name string `json:"name,omitempty"`
	// Type is the new type for alter_column_type; Using its USING
	// expression.
	Type  string `json:"type,omitempty"`
	Using string `json:"using,omitempty"`
	// Default is the expression of set_default.
	Default     *Expr `json:"default,omitempty"`
	IfExists    bool  `json:"if_exists,omitempty"`
	IfNotExists bool  `json:"if_not_exists,omitempty"`
	Cascade     bool  `json:"cascade,omitempty"`
	// Partition is the partition of attach_partition/detach_partition;
	// Concurrently is DETACH ... CONCURRENTLY.
	Partition    *Relation `json:"partition,omitempty"`
	Concurrently bool      `json:"concurrently,omitempty"`
}

// Column is a column definition (CREATE TABLE or ADD COLUMN).
type Column struct {
	Name string `json:"name"`
	// Type as written, normalised: "integer", "bigint", "text",
	// "character varying(20)", "timestamp with time zone", ...
	Type string `json:"type"`
	// Serial is true for serial, bigserial and smallserial: the column
	// gets a nextval() default.
	Serial  bool  `json:"serial,omitempty"`
	Default *Expr `json:"default,omitempty"`
	// Identity is "always" or "by_default" for GENERATED ... AS IDENTITY.
	Identity string `json:"identity,omitempty"`
	// Generated is the expression of GENERATED ALWAYS AS (...) STORED.
	Generated *Expr `json:"generated,omitempty"`
	// NeedsRewrite is true when adding this column to an existing table
	// rewrites it under an ACCESS EXCLUSIVE lock: a volatile default, a
	// serial type, an identity or a stored generated column.
	NeedsRewrite bool `json:"needs_rewrite,omitempty"`
	NotNull      bool `json:"not_null,omitempty"`
	// Constraints are the column's inline constraints other than NULL,
	// NOT NULL and DEFAULT: unique, primary_key, foreign_key, check.
	Constraints []Constraint `json:"constraints,omitempty"`
}

// Constraint is a table or column constraint.
type Constraint struct {
	Name string `json:"name,omitempty"`
	// Type: check, foreign_key, unique, primary_key, exclusion,
	// not_null.
	Type string `json:"type"`
	// NotValid is NOT VALID (meaningful for check and foreign_key).
	NotValid bool `json:"not_valid,omitempty"`
	// Columns are the constrained columns (empty for an inline one).
	Columns []string `json:"columns,omitempty"`
	// References is the referenced table of a foreign key.
	References *Relation `json:"references,omitempty"`
	// UsingIndex is the index of UNIQUE/PRIMARY KEY USING INDEX.
	UsingIndex string `json:"using_index,omitempty"`
	// Expr is the CHECK expression.
	Expr string `json:"expr,omitempty"`
}

// Expr is an expression: a default, a generated column.
type Expr struct {
	// Text is the expression as PostgreSQL prints it back.
	Text string `json:"text"`
	// Volatility is the strictest volatility of the functions it calls:
	// "immutable", "stable" or "volatile"; functions not built into
	// PostgreSQL count as volatile.
	Volatility string `json:"volatility"`
	Volatile   bool   `json:"volatile,omitempty"`
	// Functions are the functions it calls, lower-case, as written
	// (schema-qualified when written so).
	Functions []string `json:"functions,omitempty"`
}

// CreateTable is a CREATE TABLE.
type CreateTable struct {
	IfNotExists bool         `json:"if_not_exists,omitempty"`
	Columns     []Column     `json:"columns,omitempty"`
	Constraints []Constraint `json:"constraints,omitempty"`
	// PartitionOf is the parent of CREATE TABLE ... PARTITION OF.
	PartitionOf *Relation `json:"partition_of,omitempty"`
	// Temporary and Unlogged are the table's persistence.
	Temporary bool `json:"temporary,omitempty"`
	Unlogged  bool `json:"unlogged,omitempty"`
	// AsSelect is true for CREATE TABLE ... AS.
	AsSelect bool `json:"as_select,omitempty"`
}

// Index is a CREATE INDEX.
type Index struct {
	Name         string   `json:"name,omitempty"`
	Concurrently bool     `json:"concurrently,omitempty"`
	Unique       bool     `json:"unique,omitempty"`
	IfNotExists  bool     `json:"if_not_exists,omitempty"`
	Columns      []string `json:"columns,omitempty"`
	Method       string   `json:"method,omitempty"`
	// Only is CREATE INDEX ... ON ONLY (a partitioned table's parent).
	Only bool `json:"only,omitempty"`
}

// Drop is a DROP of any object.
type Drop struct {
	// ObjectType: table, index, view, type, sequence, schema, ...
	ObjectType   string     `json:"object_type"`
	Objects      []Relation `json:"objects"`
	IfExists     bool       `json:"if_exists,omitempty"`
	Cascade      bool       `json:"cascade,omitempty"`
	Concurrently bool       `json:"concurrently,omitempty"`
}

// Reindex is a REINDEX.
type Reindex struct {
	// Target: index, table, schema, system or database.
	Target       string `json:"target"`
	Name         string `json:"name,omitempty"`
	Concurrently bool   `json:"concurrently,omitempty"`
}

// Truncate is a TRUNCATE.
type Truncate struct {
	Relations []Relation `json:"relations,omitempty"`
	Cascade   bool       `json:"cascade,omitempty"`
}

// Vacuum is a VACUUM or ANALYZE.
type Vacuum struct {
	// Full is VACUUM FULL (or VACUUM (FULL) / (FULL TRUE)); false for
	// (FULL FALSE).
	Full      bool       `json:"full,omitempty"`
	Analyze   bool       `json:"analyze,omitempty"`
	Relations []Relation `json:"relations,omitempty"`
	// Options are the options as written, lower-case name to value
	// ("true" when the option has no value).
	Options map[string]string `json:"options,omitempty"`
}

// AlterEnum is ALTER TYPE ... ADD VALUE / RENAME VALUE.
type AlterEnum struct {
	Type        string `json:"type"`
	AddValue    string `json:"add_value,omitempty"`
	RenameValue string `json:"rename_value,omitempty"`
	NewName     string `json:"new_name,omitempty"`
	Before      string `json:"before,omitempty"`
	After       string `json:"after,omitempty"`
	IfNotExists bool   `json:"if_not_exists,omitempty"`
}

// Set is SET or RESET of a run-time parameter.
type Set struct {
	// Name is the parameter, lower-case ("lock_timeout",
	// "statement_timeout", ...); "all" for RESET ALL.
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
	// Local is SET LOCAL: it lasts until the end of the transaction.
	Local bool `json:"local,omitempty"`
	// Reset is RESET or SET ... TO DEFAULT.
	Reset bool `json:"reset,omitempty"`
}

// TransactionOp is a transaction control statement.
type TransactionOp struct {
	// Op: begin, commit, rollback, savepoint, release, rollback_to,
	// prepare, commit_prepared, rollback_prepared.
	Op string `json:"op"`
	// Nested is true for a BEGIN while a transaction is already open
	// (PostgreSQL warns and ignores it).
	Nested bool `json:"nested,omitempty"`
	// Outside is true for a COMMIT or ROLLBACK with no transaction open.
	Outside bool `json:"outside,omitempty"`
}

// Copy is a COPY.
type Copy struct {
	From     bool   `json:"from,omitempty"`
	Stdin    bool   `json:"stdin,omitempty"`
	Filename string `json:"filename,omitempty"`
	// DataLines is the number of data lines that followed a COPY ...
	// FROM stdin in the file (skipped, not parsed).
	DataLines int `json:"data_lines,omitempty"`
}

// Function is a DO block or CREATE FUNCTION/PROCEDURE.
type Function struct {
	Name     string `json:"name,omitempty"`
	Language string `json:"language"`
	// BodyParsed is true when the PL/pgSQL body was parsed and its
	// statements projected after this one.
	BodyParsed bool `json:"body_parsed,omitempty"`
	// BodyError is PL/pgSQL's complaint when the body does not parse.
	BodyError string `json:"body_error,omitempty"`
	// DynamicSQL is true when the body runs EXECUTE of a string that is
	// not a constant: what it runs cannot be known.
	DynamicSQL bool `json:"dynamic_sql,omitempty"`
}

// Ignore is an ignore comment: mergeguard's own or squawk's.
type Ignore struct {
	// Source is "mergeguard" or "squawk".
	Source string `json:"source"`
	// Rule is the rule as written; Checks the mergeguard checks it means
	// (empty when the rule maps to none).
	Rule   string   `json:"rule"`
	Checks []string `json:"checks"`
	Reason string   `json:"reason"`
	Line   int      `json:"line"`
	// Statement is the index of the statement it applies to, -1 when it
	// applies to none (or to the whole file).
	Statement int `json:"statement"`
	// File is true for squawk-ignore-file.
	File bool `json:"file"`
}

// Options are the settings of a projection.
type Options struct {
	// MaxBytes bounds the file size read (default DefaultMaxBytes).
	MaxBytes int
	// Budget bounds the time spent (default DefaultBudget); what is left
	// when it runs out is reported in File.Limit.
	Budget time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Tool forces the migration tool instead of guessing it from the
	// path ("none" for no tool).
	Tool string
	// Transaction, when set, overrides whether the tool wraps the file in
	// a transaction (a setting, e.g. squawk's assume_in_transaction).
	Transaction *bool
}

// Defaults of Options.
const (
	DefaultMaxBytes = 10 << 20
	DefaultBudget   = 10 * time.Second
)
