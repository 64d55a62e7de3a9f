package sqlsplit

// Bounds on what one input yields. A migration of ten thousand statements
// is already far past anything a person reviews; what lies past a bound
// is not returned and Result.Truncated says so.
const (
	MaxStatements = 10000
	MaxIgnores    = 10000
	MaxDirectives = 10000
)

// Statement is one SQL statement of a migration.
type Statement struct {
	// Text is the statement as written, from its first token to its
	// terminating ';' inclusive (or its last token when there is no ';'),
	// leading comments and whitespace excluded. It is a substring of the
	// input. An unterminated /* comment where a statement could start is
	// returned as a statement of its own whose Text is that comment and
	// whose Code is empty, marked Incomplete.
	Text string
	// Code is the statement for rules to match: comments removed, string
	// literals (with their E, U&, B, X or N prefix) replaced by '', quoted
	// identifiers kept as written ("Order"), dollar-quoted bodies replaced
	// by $$ $$, psql meta-commands dropped, runs of whitespace collapsed to
	// one space, trimmed, the terminating ';' removed, case preserved.
	// Semicolons that do not end the statement (inside parentheses, in a
	// BEGIN ATOMIC body, between goose's StatementBegin and StatementEnd)
	// stay.
	Code string
	// Line is the line of the first token, EndLine the line of the last
	// character of Text, both counted from firstLine.
	Line    int
	EndLine int
	// Ignores are the "-- mergeguard:ignore RULE REASON" comments between
	// the previous statement's end and this statement's first token, in
	// order; nil when there are none. One on the line where the previous
	// statement ends is in Result.UnattachedIgnores instead: which
	// statement it means is ambiguous.
	Ignores []Ignore
	// Incomplete is true when the statement could not be read whole: the
	// input ended inside a string, quoted identifier, block comment, dollar
	// quote, parenthesis or BEGIN ... END body, or a goose StatementBegin
	// had no StatementEnd.
	Incomplete bool
	// Down is true for statements of a down migration: after a goose or
	// sql-migrate Down marker or dbmate's "-- migrate:down", until the next
	// Up marker. A deploy does not run them.
	Down bool
}

// Ignore is a "-- mergeguard:ignore RULE REASON" directive.
type Ignore struct {
	// Rule is the rule's name, e.g. "create_index_concurrently", or "all";
	// "" when the comment names none.
	Rule string
	// Reason is the rest of the line, trimmed; "" when missing (the rule
	// then refuses the ignore and says a reason is required).
	Reason string
	Line   int
}

// Directive is a migration tool's directive comment, such as
// "+goose NO TRANSACTION" or "migrate:up transaction:false": rules that
// depend on whether the tool wraps the migration in a transaction read
// them here.
type Directive struct {
	// Text is the comment without its "--", trimmed, as written.
	Text string
	Line int
}

// Result is everything SplitFile reads from its input.
type Result struct {
	Statements []Statement
	// UnattachedIgnores are ignore directives that apply to no statement:
	// after the last statement, inside a statement, or on the line where
	// the previous statement ends. Rules report them rather than let the
	// exemption silently miss.
	UnattachedIgnores []Ignore
	// Directives are the migration tool directives, in input order.
	Directives []Directive
	// Truncated is true when the input had more statements, ignores or
	// directives than the Max bounds; the rest was not read.
	Truncated bool
}

// Split splits src into statements. firstLine is the line number of src's
// first line in the file (1 for a whole file; a hunk's start when
// splitting a run of added lines).
func Split(src string, firstLine int) []Statement {
	return SplitFile(src, firstLine).Statements
}

// SplitFile is Split with the ignores that attach to no statement, the
// migration tool directives and whether the bounds cut the input short.
func SplitFile(src string, firstLine int) Result {
	s := splitter{src: src, lcLine: firstLine, lineClean: true}
	s.run()
	return s.res
}
