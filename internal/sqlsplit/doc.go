// Package sqlsplit splits the SQL of a migration into statements, each with
// the lines it spans in the file.
//
// The database migration rules are written in Rego and point at the line of
// the dangerous statement ("CREATE INDEX without CONCURRENTLY on line 12").
// Rego cannot lex SQL, and splitting on ";" is wrong as soon as a semicolon
// sits in a string, a comment or a function body, so the lexing is done
// here, once, by PostgreSQL's lexical rules: '...' and E'...' strings,
// "quoted" identifiers, -- and nested /* */ comments, $tag$ dollar quotes. The
// statements are split where psql splits them (a ";" outside parentheses
// and outside the BEGIN ... END of a SQL-standard function body), which is
// also where the server's grammar ends them.
//
// Each Statement carries two forms. Text is the statement as written, for
// showing to people. Code is what rules match against: comments removed,
// string literals and dollar-quoted bodies emptied, whitespace collapsed.
// Without it every rule would have to re-implement the lexer not to be
// fooled. This statement's text contains WHERE twice and the statement has
// none:
//
//	UPDATE t SET note = 'no where clause' -- WHERE id = 1
//
// and its Code has none either:
//
//	UPDATE t SET note = ''
//
// Migration tools add their own conventions, honoured here because they
// change what runs: psql meta-commands (a backslash outside quotes to the
// end of its line) are not SQL; goose and sql-migrate "-- +goose Down" /
// "-- +migrate Down" and dbmate "-- migrate:down" start a down migration,
// whose statements are marked Down since a deploy does not run them; and
// goose's StatementBegin/StatementEnd make everything between them one
// statement whatever its semicolons.
//
// Rules are allowed an escape hatch: a "-- mergeguard:ignore RULE REASON"
// comment on its own line directly before a statement. Ignores that attach
// to no statement are returned as well, so a rule can say so instead of the
// exemption vanishing.
//
// Split never fails and never panics: input that cannot be read whole (it
// ends inside a string, quoted identifier, comment, dollar quote or
// parenthesis) yields a statement marked Incomplete, which rules treat as
// "could not read" rather than guessing. Time is linear in the input and
// the output is bounded by MaxStatements, MaxIgnores and MaxDirectives.
package sqlsplit
