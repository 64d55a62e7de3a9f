# METADATA
# title: Migration safety
# description: >-
#   Database migrations in the pull request do not take locks that stop a
#   busy PostgreSQL table, rewrite it, or break the code still running
#   against it. Each finding names the statement and the safe way to do the
#   same thing; a finding passes with an approval from the database team or
#   an inline "-- mergeguard:ignore RULE REASON" on the line before it.
# custom:
#   severity: error
#   remedy: >-
#     Rewrite the annotated statements the way each message says, or, when a
#     statement is safe here (a small table, a maintenance window), put
#     "-- mergeguard:ignore CHECK REASON" on the line before it, or ask the
#     database team named in the message to approve.
#   config:
#     paths:
#       description: Migration files (globs).
#       default:
#         - "**/migrations/**/*.sql"
#         - "**/migration/**/*.sql"
#         - "**/migrate/**/*.sql"
#         - "db/migrate/**/*.sql"
#         - "**/flyway/**/*.sql"
#         - "**/db/changelog/**/*.sql"
#         - "**/schema/**/*.up.sql"
#         - "**/sql/V*__*.sql"
#       stricter: more
#       items: {type: string, format: glob}
#     transaction_paths:
#       description: >-
#         Migration files the migration tool runs inside a transaction of its
#         own (globs), so that CONCURRENTLY fails in them even without BEGIN.
#       default: []
#       stricter: more
#       items: {type: string, format: glob}
#     checks:
#       description: >-
#         Severity of each check, by name: error (blocks without the database
#         team's approval), warning (reported only) or off.
#       default: {}
#       type: object
#       keys:
#         create_index: {type: string, enum: [error, warning, "off"]}
#         drop_index: {type: string, enum: [error, warning, "off"]}
#         concurrently_in_transaction: {type: string, enum: [error, warning, "off"]}
#         volatile_default: {type: string, enum: [error, warning, "off"]}
#         not_null_without_default: {type: string, enum: [error, warning, "off"]}
#         alter_column_type: {type: string, enum: [error, warning, "off"]}
#         set_not_null: {type: string, enum: [error, warning, "off"]}
#         add_foreign_key: {type: string, enum: [error, warning, "off"]}
#         add_check: {type: string, enum: [error, warning, "off"]}
#         add_unique: {type: string, enum: [error, warning, "off"]}
#         drop_column: {type: string, enum: [error, warning, "off"]}
#         drop_table: {type: string, enum: [error, warning, "off"]}
#         rename_column: {type: string, enum: [error, warning, "off"]}
#         rename_table: {type: string, enum: [error, warning, "off"]}
#         update_without_where: {type: string, enum: [error, warning, "off"]}
#         delete_without_where: {type: string, enum: [error, warning, "off"]}
#         vacuum_full: {type: string, enum: [error, warning, "off"]}
#         cluster: {type: string, enum: [error, warning, "off"]}
#         lock_timeout: {type: string, enum: [error, warning, "off"]}
#         unreadable: {type: string, enum: [error, warning, "off"]}
#     large_tables:
#       description: >-
#         Tables known to be large ("orders" or "billing.invoices"): a finding
#         on one of them is an error whatever its check's severity, unless the
#         check is off.
#       default: []
#       stricter: more
#       items: {type: string}
#     reviewers:
#       description: >-
#         The database team: {teams, users, approvals}. Their approval lets
#         the findings through (they stay in the check as warnings). With
#         nobody named, error findings block until the statements change or
#         are ignored with a reason.
#       default: {}
#       type: object
#       keys:
#         teams: {type: list, items: {type: string}}
#         users: {type: list, items: {type: string}}
#         approvals: {type: integer, minimum: 1, maximum: 10}
package mergeguard.rules.migration_safety

import data.mergeguard.config
import data.mergeguard.lib
import data.mergeguard.rules.required_reviewers as reviewers

settings := config.rules.migration_safety

default_severity := {
	"create_index": "error",
	"drop_index": "error",
	"concurrently_in_transaction": "error",
	"volatile_default": "error",
	"not_null_without_default": "error",
	"alter_column_type": "error",
	"set_not_null": "error",
	"add_foreign_key": "error",
	"add_check": "error",
	"add_unique": "error",
	"drop_column": "warning",
	"drop_table": "warning",
	"rename_column": "error",
	"rename_table": "error",
	"update_without_where": "error",
	"delete_without_where": "error",
	"vacuum_full": "error",
	"cluster": "error",
	"lock_timeout": "warning",
	"unreadable": "error",
}

# The migration files: one glob for all patterns, matched once per file.
migration_glob := lib.any_of(settings.paths)

skip contains "No migration files changed (rules.migration_safety.paths)." if count(migrations) == 0

transaction_glob := lib.any_of(settings.transaction_paths) if count(settings.transaction_paths) > 0

# The per-migration documents below are object comprehensions, not partial
# object rules (migrations[path] := f if ...): OPA checks each key a partial
# object rule adds against every key added before it, so a partial rule
# over thousands of files or statements costs time quadratic in them.
# Each path is matched once, before anything else is looked at, with the
# glob bound once rather than looked up per file.
default migrations := {}

migrations := {f.path: f |
	some f in input.files
	glob.match(g, ["/"], f.path)
	f.status != "removed"
} if {
	g := migration_glob
}

# statements[path] are a migration's statements in order, down migrations
# included (they still open and close transactions).
statements := {path: f.sql.statements |
	some path, f in migrations
	f.sql
}

# live[path][i] is statement i of path when a deploy runs it and it could
# be read whole.
live := {path: run |
	some path, stmts in statements
	run := {i: st |
		some i, st in stmts
		not st.down
		not st.incomplete
	}
	count(run) > 0
}

# Names. A table is compared by its unquoted, lower-case name without
# schema, so "Public"."Orders" and orders are the same table.
ident := `(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*))?`

table_name(raw) := name if {
	parts := split(raw, ".")
	name := lower(trim(trim_space(parts[count(parts) - 1]), `"`))
}

first_capture(pattern, code) := table_name(m[0][1]) if {
	m := regex.find_all_string_submatch_n(pattern, code, 1)
	count(m) > 0
} else := ""

alter_table(code) := first_capture(concat("", [`(?i)^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(`, ident, `)`]), code)

index_table(code) := first_capture(concat("", [`(?i)\son\s+(?:only\s+)?(`, ident, `)`]), code)

dropped_table(code) := first_capture(concat("", [`(?i)^drop\s+table\s+(?:if\s+exists\s+)?(`, ident, `)`]), code)

dml_table(code) := first_capture(concat("", [`(?i)^(?:update|delete\s+from)\s+(?:only\s+)?(`, ident, `)`]), code)

maintenance_table(code) := table if {
	table := first_capture(concat("", [`(?i)^(?:vacuum|cluster)\b(?:\s*\([^)]*\))?(?:\s+(?:full|freeze|verbose|analyze))*\s+(`, ident, `)`]), code)
	not table in {"full", "freeze", "verbose", "analyze"}
} else := ""

created_table(code) := first_capture(concat("", [`(?i)^create\s+(?:(?:global|local)\s+)?(?:unlogged\s+|temp\s+|temporary\s+)?table\s+(?:if\s+not\s+exists\s+)?(`, ident, `)`]), code)

# Tables the same migration creates are empty: nothing on them can lock
# anyone out. created_tables[path] is found once per migration; a function
# reading every statement at each call made a long migration quadratic.
created_here(path, table) if {
	table != ""
	table in created_tables[path]
}

created_tables := {path: tables |
	some path, stmts in statements
	tables := {table | some st in stmts; table := created_table(st.code)}
}

large_tables := {table_name(t) | some t in settings.large_tables}

# Checks. found holds {check, path, i, table}; messages are built below.

index_stmt := `(?i)^create\s+(?:unique\s+)?index\b`

concurrent_index := `(?i)^(?:create\s+(?:unique\s+)?index|drop\s+index|reindex(?:\s*\([^)]*\))?\s+\w+)\s+concurrently\b`

found contains {"check": "create_index", "path": path, "i": i, "table": table} if {
	some path, i
	st := live[path][i]
	regex.match(index_stmt, st.code)
	not regex.match(concurrent_index, st.code)
	table := index_table(st.code)
	not created_here(path, table)
}

found contains {"check": "drop_index", "path": path, "i": i, "table": ""} if {
	some path, i
	st := live[path][i]
	regex.match(`(?i)^drop\s+index\b`, st.code)
	not regex.match(concurrent_index, st.code)
}

found contains {"check": "concurrently_in_transaction", "path": path, "i": i, "table": index_table(st.code)} if {
	some path, i
	st := live[path][i]
	regex.match(concurrent_index, st.code)
	in_transaction(path, i)
}

in_transaction(path, _) if {
	transaction_glob
	glob.match(transaction_glob, ["/"], path)
}

in_transaction(path, i) if {
	opened := [j | some j in begins[path]; j < i]
	count(opened) > 0
	last := max(opened)
	not closed_between(path, last, i)
}

closed_between(path, from, to) if {
	some j in commits[path]
	j > from
	j < to
}

# begins[path] and commits[path] are the positions of the statements that
# open and close transactions, found once per migration rather than at
# every statement that asks.
begins := {path: {j | some j, st in stmts; regex.match(`(?i)^(?:begin|start\s+transaction)\b`, st.code)} | some path, stmts in statements}

commits := {path: {j | some j, st in stmts; regex.match(`(?i)^(?:commit|end|rollback|abort)\b`, st.code)} | some path, stmts in statements}

# ALTER TABLE actions, one per clause: "ADD COLUMN a int, ALTER b SET NOT
# NULL" is two. A clause runs to the next comma that starts another action
# (a comma inside numeric(10,2) does not). Code has no line breaks, so one
# marks the clause boundaries.
alter_prefix := concat("", [`(?i)^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?`, ident, `\s+`])

action := `(?i),\s*((?:add|alter|drop|rename|validate|set|reset|owner|enable|disable|attach|detach|cluster|inherit|no|replica|of|not)\b)`

alter_clauses(code) := [trim_space(c) | some c in split(regex.replace(regex.replace(code, alter_prefix, ""), action, "\n$1"), "\n")]

# altered[path][i] is an ALTER TABLE statement on a table the migration did
# not create, with its table and clauses.
altered := {path: alters |
	some path, run in live
	alters := {i: {"table": table, "clauses": alter_clauses(st.code)} |
		some i, st in run
		table := alter_table(st.code)
		table != ""
		not created_here(path, table)
	}
	count(alters) > 0
}

add_column := concat("", [`(?i)^add\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?`, ident, `\s+(.*)$`])

column_clause(clause) if {
	regex.match(add_column, clause)
	not regex.match(`(?i)^add\s+(?:constraint|primary|unique|foreign|check|exclude)\b`, clause)
}

volatile := `(?i)\bdefault\s+\(?\s*(?:random|gen_random_uuid|uuid_generate_v\w+|clock_timestamp|timeofday|nextval|txid_current)\s*\(|\b(?:small|big)?serial\b|\bgenerated\s+always\s+as\s*\(.*\)\s*stored\b`

found contains {"check": "volatile_default", "path": path, "i": i, "table": a.table} if {
	some path, i
	a := altered[path][i]
	some clause in a.clauses
	column_clause(clause)
	regex.match(volatile, clause)
}

found contains {"check": "not_null_without_default", "path": path, "i": i, "table": a.table} if {
	some path, i
	a := altered[path][i]
	some clause in a.clauses
	column_clause(clause)
	regex.match(`(?i)\bnot\s+null\b`, clause)
	not regex.match(`(?i)\bdefault\b|\bgenerated\b`, clause)
}

found contains {"check": "alter_column_type", "path": path, "i": i, "table": a.table} if {
	some path, i
	a := altered[path][i]
	some clause in a.clauses
	regex.match(concat("", [`(?i)^alter\s+(?:column\s+)?`, ident, `\s+(?:set\s+data\s+)?type\b`]), clause)
}

found contains {"check": "set_not_null", "path": path, "i": i, "table": a.table} if {
	some path, i
	a := altered[path][i]
	some clause in a.clauses
	regex.match(concat("", [`(?i)^alter\s+(?:column\s+)?`, ident, `\s+set\s+not\s+null\b`]), clause)
}

add_constraint := `(?i)^add\s+(?:constraint\s+\S+\s+)?`

found contains {"check": "add_foreign_key", "path": path, "i": i, "table": a.table} if {
	some path, i
	a := altered[path][i]
	some clause in a.clauses
	regex.match(concat("", [add_constraint, `foreign\s+key\b`]), clause)
	not regex.match(`(?i)\bnot\s+valid\b`, clause)
}

found contains {"check": "add_check", "path": path, "i": i, "table": a.table} if {
	some path, i
	a := altered[path][i]
	some clause in a.clauses
	regex.match(concat("", [add_constraint, `check\b`]), clause)
	not regex.match(`(?i)\bnot\s+valid\b`, clause)
}

found contains {"check": "add_unique", "path": path, "i": i, "table": a.table} if {
	some path, i
	a := altered[path][i]
	some clause in a.clauses
	regex.match(concat("", [add_constraint, `(?:unique|primary\s+key)\b`]), clause)
	not regex.match(`(?i)\busing\s+index\b`, clause)
}

found contains {"check": "drop_column", "path": path, "i": i, "table": a.table} if {
	some path, i
	a := altered[path][i]
	some clause in a.clauses
	m := regex.find_all_string_submatch_n(concat("", [`(?i)^drop\s+(?:column\s+)?(?:if\s+exists\s+)?(`, ident, `)`]), clause, 1)
	count(m) > 0
	not lower(m[0][1]) in {"constraint", "default", "not", "identity", "expression"}
}

found contains {"check": "drop_table", "path": path, "i": i, "table": table} if {
	some path, i
	st := live[path][i]
	table := dropped_table(st.code)
	table != ""
	not created_here(path, table)
}

found contains {"check": "rename_column", "path": path, "i": i, "table": a.table} if {
	some path, i
	a := altered[path][i]
	some clause in a.clauses
	regex.match(`(?i)^rename\s+`, clause)
	not regex.match(`(?i)^rename\s+(?:to|constraint)\b`, clause)
}

found contains {"check": "rename_table", "path": path, "i": i, "table": a.table} if {
	some path, i
	a := altered[path][i]
	some clause in a.clauses
	regex.match(`(?i)^rename\s+to\b`, clause)
}

found contains {"check": "update_without_where", "path": path, "i": i, "table": table} if {
	some path, i
	st := live[path][i]
	regex.match(`(?i)^update\b`, st.code)
	not regex.match(`(?i)\bwhere\b`, st.code)
	table := dml_table(st.code)
	not created_here(path, table)
}

found contains {"check": "delete_without_where", "path": path, "i": i, "table": table} if {
	some path, i
	st := live[path][i]
	regex.match(`(?i)^delete\s+from\b`, st.code)
	not regex.match(`(?i)\bwhere\b`, st.code)
	table := dml_table(st.code)
	not created_here(path, table)
}

found contains {"check": "vacuum_full", "path": path, "i": i, "table": maintenance_table(st.code)} if {
	some path, i
	st := live[path][i]
	regex.match(`(?i)^vacuum\b`, st.code)
	regex.match(`(?i)^vacuum\s*(?:\([^)]*\bfull\b[^)]*\)|.*\bfull\b)`, st.code)
}

found contains {"check": "cluster", "path": path, "i": i, "table": maintenance_table(st.code)} if {
	some path, i
	st := live[path][i]
	regex.match(`(?i)^cluster\b`, st.code)
}

# lock_timeout: a new migration whose first statement that locks an existing
# table runs without a lock timeout. Only whole files can say: a changed
# file's SET may be on a line the diff does not show.
locks := `(?i)^(?:alter\s+table|create\s+(?:unique\s+)?index|drop\s+index|drop\s+table|create\s+(?:or\s+replace\s+)?trigger|truncate|lock\s+table|vacuum|cluster|reindex)\b`

locking := {path: tables |
	some path, run in live
	tables := {i: table |
		some i, st in run
		regex.match(locks, st.code)
		not regex.match(concurrent_index, st.code)
		table := statement_table(st.code)
		not created_here(path, table)
	}
	count(tables) > 0
}

statement_table(code) := alter_table(code) if regex.match(`(?i)^alter\b`, code)

else := index_table(code) if regex.match("(?i)^(?:create|drop\\s+index|reindex)\\b", code)

else := dropped_table(code) if regex.match("(?i)^drop\\s+table\\b", code)

else := maintenance_table(code)

found contains {"check": "lock_timeout", "path": path, "i": first, "table": locking[path][first]} if {
	some path, f in migrations
	f.status == "added"
	first := min(object.keys(locking[path]))
	not timeout_before(path, first)
}

timeout_before(path, i) if {
	some j, st in statements[path]
	j < i
	regex.match(`(?i)^set\s+(?:local\s+|session\s+)?lock_timeout\b|^set\s+(?:local\s+|session\s+)?statement_timeout\b`, st.code)
}

timeout_before(path, i) if {
	some j, st in statements[path]
	j < i
	regex.match(`(?i)set_config\s*\(\s*'(?:lock|statement)_timeout'`, st.text)
}

# Severity: the check's configured level, raised to error on a known-large
# table.
level(check) := object.get(settings.checks, check, default_severity[check])

severity(check, table) := "error" if {
	level(check) != "off"
	table in large_tables
} else := level(check)

# ignored(st, check) is the ignore directive that exempts st from check.
ignores_of(st, check) := [ig | some ig in st.ignores; lower(ig.rule) in {check, "all"}]

ignored(st, check) if {
	some ig in ignores_of(st, check)
	trim_space(ig.reason) != ""
}

# findings are what the check reports: not off, not ignored.
findings contains object.union(raw, {"severity": sev, "line": st.line, "end_line": st.end_line}) if {
	some raw in found
	sev := severity(raw.check, raw.table)
	sev != "off"
	st := statements[raw.path][raw.i]
	not ignored(st, raw.check)
}

# A migration GitHub sent no lines of, or whose lines could not be read,
# cannot be checked; it is a finding of its own, so it is not passed
# unseen.
unreadable contains {"path": path, "line": 0, "why": why} if {
	some path, f in migrations
	f.patch_missing
	not f.contents_diffed # mergeguard diffed the file itself: its statements are there
	why := "GitHub sent no diff for it (too large), so its statements were not checked"
}

unreadable contains {"path": path, "line": 0, "why": why} if {
	some path, f in migrations
	f.parse_error != ""
	why := sprintf("its diff could not be read (%s), so its statements were not checked", [f.parse_error])
}

unreadable contains {"path": path, "line": st.line, "why": why} if {
	some path, stmts in statements
	some st in stmts
	st.incomplete
	not st.down
	why := "the statement here could not be read whole (the added lines end inside a string, comment or dollar quote, or a line is too long), so it was not checked"
}

unreadable contains {"path": path, "line": 0, "why": why} if {
	some path, f in migrations
	f.sql.truncated
	why := "it has more statements than mergeguard reads, so the rest were not checked"
}

unreadable_findings contains {"check": "unreadable", "path": u.path, "line": u.line, "end_line": u.line, "severity": level("unreadable"), "msg": sprintf("`%s`: %s.", [u.path, u.why])} if {
	some u in unreadable
	level("unreadable") != "off"
}

reported contains object.union(f, {"msg": message(f)}) if some f in findings

reported contains f if some f in unreadable_findings

blocking := {f | some f in reported; f.severity == "error"}

# The database team: approvals that still count for the migrations, by
# the required-reviewers rule's own staleness rules.
team := object.get(settings, "reviewers", {})

team_teams := object.get(team, "teams", [])

team_users := object.get(team, "users", [])

team_needed := object.get(team, "approvals", 1)

team_named if count(team_teams) + count(team_users) > 0

migration_paths := {p | some p, _ in migrations}

team_approvers contains login if {
	team_named
	some review in reviewers.approvals
	login := lower(review.author.login)
	login in lib.approvers(team_teams, team_users)
	changed := {p | some p in review.files_changed_since; p in migration_paths}
	not reviewers.stale(review, changed)
}

team_approved if {
	team_named
	count(team_approvers) >= team_needed
}

finding(f, msg) := {"msg": msg, "path": f.path, "line": f.line, "end_line": f.end_line} if f.line > 0

else := {"msg": msg, "path": f.path}

deny contains finding(f, f.msg) if {
	some f in blocking
	not team_approved
}

deny contains msg if {
	count(blocking) > 0
	team_named
	not team_approved
	missing := team_needed - count(team_approvers)
	msg := sprintf("Migrations with these findings need %d more %s from %s, or each finding ignored with a reason.", [
		missing, lib.plural(missing, "approval", "approvals"), lib.who(team_teams, team_users),
	])
}

warn contains finding(f, concat("", [f.msg, " Accepted by the database team's approval (", concat(", ", [sprintf("@%s", [l]) | some l in sort(team_approvers)]), ")."])) if {
	some f in blocking
	team_approved
}

warn contains finding(f, f.msg) if {
	some f in reported
	f.severity == "warning"
}

# Ignores are shown, so that what was let through is on the record.
warn contains {"msg": msg, "path": raw.path, "line": ig.line} if {
	some raw in found
	st := statements[raw.path][raw.i]
	some ig in ignores_of(st, raw.check)
	trim_space(ig.reason) != ""
	msg := sprintf("%s ignored here: %s", [check_title[raw.check], ig.reason])
}

warn contains {"msg": msg, "path": path, "line": ig.line} if {
	some path, stmts in statements
	some st in stmts
	some ig in st.ignores
	trim_space(ig.reason) == ""
	msg := sprintf("`-- mergeguard:ignore %s` needs a reason after the check's name, e.g. `-- mergeguard:ignore %s the table has 200 rows`; without one it ignores nothing.", [ig.rule, ig.rule])
}

warn contains {"msg": msg, "path": path, "line": ig.line} if {
	some path, stmts in statements
	some st in stmts
	some ig in st.ignores
	not lower(ig.rule) in object.keys(default_severity)
	lower(ig.rule) != "all"
	msg := sprintf("`-- mergeguard:ignore %s` names no check; the checks are %s.", [ig.rule, concat(", ", sort(object.keys(default_severity)))])
}

# Messages: what happens, and the safe way.
on(table) := sprintf(" on `%s`", [table]) if table != ""

else := ""

check_title := {
	"create_index": "CREATE INDEX without CONCURRENTLY",
	"drop_index": "DROP INDEX without CONCURRENTLY",
	"concurrently_in_transaction": "CONCURRENTLY inside a transaction",
	"volatile_default": "ADD COLUMN with a volatile default",
	"not_null_without_default": "ADD COLUMN NOT NULL without a default",
	"alter_column_type": "ALTER COLUMN TYPE",
	"set_not_null": "SET NOT NULL",
	"add_foreign_key": "ADD FOREIGN KEY without NOT VALID",
	"add_check": "ADD CHECK without NOT VALID",
	"add_unique": "ADD UNIQUE constraint",
	"drop_column": "DROP COLUMN",
	"drop_table": "DROP TABLE",
	"rename_column": "RENAME COLUMN",
	"rename_table": "RENAME TABLE",
	"update_without_where": "UPDATE without WHERE",
	"delete_without_where": "DELETE without WHERE",
	"vacuum_full": "VACUUM FULL",
	"cluster": "CLUSTER",
	"lock_timeout": "No lock_timeout",
	"unreadable": "Unreadable migration",
}

message(f) := sprintf("%s%s (%s): %s", [check_title[f.check], on(f.table), f.check, advice[f.check]])

advice := {
	"create_index": "building the index blocks every write to the table until it finishes. Use CREATE INDEX CONCURRENTLY, in a migration that does not run in a transaction.",
	"drop_index": "dropping the index takes an ACCESS EXCLUSIVE lock on its table, queuing every query behind it. Use DROP INDEX CONCURRENTLY, outside a transaction.",
	"concurrently_in_transaction": "PostgreSQL refuses CONCURRENTLY inside a transaction block, so this migration fails on deploy. Run it in a migration of its own that the tool does not wrap in a transaction, without BEGIN/COMMIT.",
	"volatile_default": "a volatile default (random(), gen_random_uuid(), nextval, serial, a stored generated column) is computed per row, which rewrites the whole table under an ACCESS EXCLUSIVE lock. Add the column without the default, then SET DEFAULT for new rows and backfill existing rows in batches outside the migration.",
	"not_null_without_default": "on a table with rows this fails (existing rows would be NULL). Add the column nullable or with a constant DEFAULT, backfill, then add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, and SET NOT NULL.",
	"alter_column_type": "changing the type rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (except binary-compatible changes such as making a varchar longer). Add a new column, write both, backfill in batches, then switch reads and drop the old one.",
	"set_not_null": "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock. Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a later migration, then SET NOT NULL, which PostgreSQL 12+ proves from the constraint without a scan.",
	"add_foreign_key": "validating every existing row blocks writes to both tables. Add the constraint with NOT VALID, then VALIDATE CONSTRAINT in a separate migration, which takes a weaker lock.",
	"add_check": "validating every existing row holds an ACCESS EXCLUSIVE lock. Add the constraint with NOT VALID, then VALIDATE CONSTRAINT in a separate migration.",
	"add_unique": "building the constraint's index blocks writes for as long as it takes. Create the index first with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … UNIQUE USING INDEX (or PRIMARY KEY USING INDEX).",
	"drop_column": "code still running the previous version may read or write the column and fail. First deploy code that no longer uses it (for ORMs, mark it ignored), then drop it.",
	"drop_table": "code still running the previous version may use the table, and the data is gone for good. Deploy code that no longer uses it first, and keep a backup or rename it aside before dropping.",
	"rename_column": "code still running the previous version uses the old name and fails until the deploy finishes. Add the new column, write both, backfill, move reads, then drop the old one.",
	"rename_table": "code still running the previous version uses the old name and fails until the deploy finishes. Create a view with the old name during the transition, or copy and switch over in steps.",
	"update_without_where": "an UPDATE of every row in a migration holds its row locks until the migration commits and can run for a long time (a backfill inside a migration). Backfill in batches from a job or script outside the migration.",
	"delete_without_where": "a DELETE of every row in a migration holds its row locks until the migration commits (a backfill inside a migration). Delete in batches outside the migration, or TRUNCATE a table nothing uses any more.",
	"vacuum_full": "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock. Use an online tool such as pg_repack outside migrations, or plain VACUUM.",
	"cluster": "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock. Use an online tool such as pg_repack outside migrations.",
	"lock_timeout": "the migration sets no lock_timeout, so a statement waiting for its lock behind a long query makes every other query on the table wait too. Start the migration with SET lock_timeout = '5s' (and retry the deploy if it times out).",
}
