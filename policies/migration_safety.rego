# METADATA
# title: Migration safety
# description: >-
#   Database migrations in the pull request do not take locks that stop a
#   busy PostgreSQL table, rewrite it, or break the code still running
#   against it. Each finding names the statement and the safe way to do the
#   same thing; a finding passes with an approval from the database team or
#   an inline "-- mergeguard:ignore RULE REASON" (or squawk's "--
#   squawk-ignore RULE") on the line before it. Each migration is read
#   whole at the head commit and parsed by PostgreSQL's own parser.
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
#         reindex: {type: string, enum: [error, warning, "off"]}
#         detach_partition: {type: string, enum: [error, warning, "off"]}
#         truncate_cascade: {type: string, enum: [error, warning, "off"]}
#         drop_database: {type: string, enum: [error, warning, "off"]}
#         uncommitted_transaction: {type: string, enum: [error, warning, "off"]}
#         transaction_nesting: {type: string, enum: [error, warning, "off"]}
#         enum_add_value: {type: string, enum: [error, warning, "off"]}
#         unreadable: {type: string, enum: [error, warning, "off"]}
#     postgres_version:
#       description: >-
#         The major version of PostgreSQL the migrations run on; it decides
#         version-dependent advice (a constant default is cheap from 11, SET
#         NOT NULL after a validated CHECK (col IS NOT NULL) skips the scan
#         from 12, ALTER TYPE ... ADD VALUE may run in a transaction from
#         12).
#       default: 17
#       type: integer
#       minimum: 9
#       maximum: 99
#       stricter: lower
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
	"reindex": "error",
	"detach_partition": "error",
	"truncate_cascade": "error",
	"drop_database": "error",
	"uncommitted_transaction": "error",
	"transaction_nesting": "error",
	"enum_add_value": "error",
	"unreadable": "error",
}

pg_version := object.get(settings, "postgres_version", 17)

# The migration files: one glob for all patterns, matched once per file.
migration_glob := lib.any_of(settings.paths)

skip contains "No migration files changed (rules.migration_safety.paths)." if count(migrations) == 0

transaction_glob := lib.any_of(settings.transaction_paths) if count(settings.transaction_paths) > 0

# The per-migration documents below are object comprehensions, not partial
# object rules (migrations[path] := f if ...): OPA checks each key a partial
# object rule adds against every key added before it, so a partial rule
# over thousands of files or statements costs time quadratic in them.
default migrations := {}

migrations := {f.path: f |
	some f in input.files
	glob.match(g, ["/"], f.path)
	f.status != "removed"
} if {
	g := migration_glob
}

# projected[path] is the migration read whole by PostgreSQL's parser
# (input.files[].migration, docs/migrations.md).
projected := {path: f.migration | some path, f in migrations; f.migration}

# statements[path] are a migration's statements in order: down migrations
# and the statements found in DO blocks and function bodies included.
statements := {path: m.statements | some path, m in projected}

# kinds[path][kind] are the indexes of path's statements of that kind, in
# order (the projection indexes them): a check visits the statements of
# its kinds, not every statement of a long migration once per check.
kinds := {path: m.kinds | some path, m in projected}

# touched[path] are the lines a changed migration's diff adds: in a file
# that was there before, only the statements on them are new. Absent for a
# new file (every statement is new) or when the diff is unknown.
touched := {path: {l.line | some l in f.added_lines} |
	some path, f in migrations
	f.status != "added"
	not unknown_diff(f)
}

unknown_diff(f) if {
	f.patch_missing
	not f.contents_diffed
}

# live_st(path, st): a deploy runs statement st of path and the pull
# request adds it. In a new file that is every statement outside a down
# migration; in a changed one, those on the lines its diff adds. Checks
# visit the statements of their kinds (text PostgreSQL rejects has a kind
# of its own) and ask this of each candidate: no per-migration copy of the
# live statements is built, which cost more than the checks on a long
# migration.
live_st(path, st) if {
	not st.down
	added_in(object.get(touched, path, null), st)
}

# Names: a relation is compared by its name without schema, lower-case.
name_of(rel) := lower(rel.name)

rel(st) := lower(object.get(st, ["relation", "name"], ""))

# created[path][table] is the first statement creating table: what a
# migration does to a table it created earlier is done to an empty table
# nothing uses yet. Earlier, not anywhere: DROP TABLE t; CREATE TABLE t
# still drops the old table's data.
# object.union_n keeps the last of duplicate keys: in reverse order, the
# first creation wins, with no per-name search.
created := {path: object.union_n(array.reverse(cs)) |
	some path, stmts in statements
	cs := [{name_of(st.relation): i} | some i in object.get(kinds[path], "create_table", []); st := stmts[i]; not st.down]
}

created_before(path, table, i) if created[path][table] < i

# creates are the migrations that create a table at all: in the others a
# statement's table need not be named to know it was not created earlier.
creates := {path | some path, c in created; count(c) > 0}

# created_before_st is created_before for a statement's own table.
created_before_st(path, st, i) if {
	creates[path]
	created_before(path, rel(st), i)
}

large_tables := {lower(t) | some raw in settings.large_tables; parts := split(raw, "."); t := trim(parts[count(parts) - 1], `"`)}

# Transactions. The projection says whether each statement runs in a
# transaction (the tool's implicit one, honouring its no-transaction
# directives, or an explicit BEGIN; an explicit COMMIT ends it);
# transaction_paths adds an implicit one to files mergeguard has no tool
# for.
in_transaction(path, st) if st.in_transaction

in_transaction(path, st) if {
	transaction_glob
	glob.match(transaction_glob, ["/"], path)
	not projected[path].transaction.implicit
	not ended_before(path, st.index)
}

ended_before(path, i) if {
	some j in boundaries[path]
	j < i
}

# boundaries[path] are the statements that start or end a transaction.
boundaries := {path: {j |
	some kind in {"begin", "commit", "rollback", "prepare"}
	some j in ks[kind]
} |
	some path, ks in kinds
}

# same_transaction(path, j, i): statements j < i run in one transaction.
same_transaction(path, j, i) if {
	statements[path][j].in_transaction
	statements[path][i].in_transaction
	not boundary_between(path, j, i)
}

boundary_between(path, j, i) if {
	some k in boundaries[path]
	k > j
	k <= i
	not statements[path][k].transaction.nested
}

# actions[path][action] are the live ALTER TABLE subcommands of that
# action on a table the migration did not create earlier, in order, as
# {i, table, cmd}. They are read off the projection's index of commands
# by action, so each check visits the commands of its action, not every
# command of a long migration.
actions := {path: by |
	some path, m in projected
	lines := object.get(touched, path, null)
	made := object.get(created, path, {})
	by := {action: cmds |
		some action, pairs in actions_of(m)
		cmds := live_commands(m.statements, pairs, lines, made)
		count(cmds) > 0
	}
	count(by) > 0
}

# live_commands are the commands of pairs ([statement, command] indexes)
# that the pull request adds, on a table or foreign table that the file
# did not create earlier, given the lines the diff adds (null for a new
# file) and the file's first creations. A new file that creates no table,
# the usual long migration, has a comprehension of its own that asks
# neither.
live_commands(stmts, pairs, lines, made) := [{"i": i, "table": lower(object.get(st, ["relation", "name"], "")), "cmd": st.alter_table.commands[k], "line": st.line, "end_line": st.end_line} |
	tables := {"table", "foreign_table"}
	some pair in pairs
	i := pair[0]
	k := pair[1]
	st := stmts[i]
	not st.down
	tables[st.alter_table.object_type]
] if {
	lines == null
	count(made) == 0
}

else := [{"i": i, "table": lower(object.get(st, ["relation", "name"], "")), "cmd": st.alter_table.commands[k], "line": st.line, "end_line": st.end_line} |
	tables := {"table", "foreign_table"}
	some pair in pairs
	i := pair[0]
	k := pair[1]
	st := stmts[i]
	not st.down
	added_in(lines, st)
	tables[st.alter_table.object_type]
	not earlier(made, lower(object.get(st, ["relation", "name"], "")), i)
]

# earlier(made, table, i): table was created before statement i, given
# the file's first creations (created[path], looked up once per file).
# (Written inline as a negated comparison inside the comprehension, OPA
# dropped every command: keep it a function.)
earlier(made, table, i) if made[table] < i

# added_in(lines, st): the pull request adds statement st, given the lines
# its diff adds to the file (null for a new file, whose every statement is
# added). The caller looks the lines up once per file.
added_in(lines, _) if lines == null

added_in(lines, st) if {
	lines != null
	some n in numbers.range(st.line, st.end_line)
	n in lines
}

# actions_of(m) is the projection's index; an input stored before it had
# one (replayed against this policy) has it rebuilt from the statements.
actions_of(m) := m.actions if m.actions

else := {action: [[i, k] |
	some i in object.get(m.kinds, "alter_table", [])
	some k, c in m.statements[i].alter_table.commands
	c.action == action
] |
	some i in object.get(m.kinds, "alter_table", [])
	some c in m.statements[i].alter_table.commands
	action := c.action
}

# Checks. found[check] holds {check, path, i, table, line, end_line};
# messages are built below. A string field the projection leaves out when
# empty is read with object.get(..., "") so that an input stored before
# it left them out (given as "", replayed against this policy) is read
# the same.

found.create_index contains {"check": "create_index", "path": path, "i": i, "table": rel(st), "line": st.line, "end_line": st.end_line} if {
	some path, stmts in statements
	some i in kinds[path].create_index
	st := stmts[i]
	live_st(path, st)
	not st.create_index.concurrently
	not created_before_st(path, st, i)
}

found.drop_index contains {"check": "drop_index", "path": path, "i": i, "table": "", "line": st.line, "end_line": st.end_line} if {
	some path, stmts in statements
	some i in kinds[path].drop_index
	st := stmts[i]
	live_st(path, st)
	not st.drop.concurrently
}

concurrent(st) if st.create_index.concurrently

concurrent(st) if {
	st.kind == "drop_index"
	st.drop.concurrently
}

concurrent(st) if st.reindex.concurrently

concurrent(st) if {
	some cmd in st.alter_table.commands
	cmd.action == "detach_partition"
	cmd.concurrently
}

# Whether the statement runs in a transaction is asked first, inline: it
# is a field lookup, and outside a transaction concurrent's bodies need
# not run. (in_transaction's two cases are written out as two rules: a
# function call per statement of a long migration costs more than the
# check.) Only the kinds of statement that can be concurrent are visited.
found.concurrently_in_transaction contains {"check": "concurrently_in_transaction", "path": path, "i": i, "table": rel(st), "line": st.line, "end_line": st.end_line} if {
	some path in transactional
	stmts := statements[path]
	some kind in concurrent_kinds
	some i in kinds[path][kind]
	st := stmts[i]
	st.in_transaction
	concurrent(st)
	live_st(path, st)
}

found.concurrently_in_transaction contains {"check": "concurrently_in_transaction", "path": path, "i": i, "table": rel(st), "line": st.line, "end_line": st.end_line} if {
	transaction_glob
	some path, stmts in statements
	glob.match(transaction_glob, ["/"], path)
	not projected[path].transaction.implicit
	some kind in concurrent_kinds
	some i in kinds[path][kind]
	st := stmts[i]
	not ended_before(path, i)
	concurrent(st)
	live_st(path, st)
}

# transactional are the migrations with a statement in a transaction: the
# tool's implicit one, or an explicit BEGIN. In the others no statement
# need be visited to know it does not run in one.
transactional := {path | some path, m in projected; m.transaction.implicit} | {path | some path, ks in kinds; count(object.get(ks, "begin", [])) > 0}

# concurrent_kinds are the kinds of statement that can say CONCURRENTLY.
concurrent_kinds := ["create_index", "drop_index", "reindex", "alter_table"]

# Adding a column rewrites the table when its value is computed per row
# (a volatile default, serial, identity, a stored generated column) and,
# before PostgreSQL 11, for any default at all. (The version is tested
# once, before the commands are visited.)
found.volatile_default contains {"check": "volatile_default", "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	some path, by in actions
	some a in by.add_column
	a.cmd.column_def.needs_rewrite
}

found.volatile_default contains {"check": "volatile_default", "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	pg_version < 11
	some path, by in actions
	some a in by.add_column
	a.cmd.column_def.default
}

found.not_null_without_default contains {"check": "not_null_without_default", "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	some path
	some a in actions[path].add_column
	col := a.cmd.column_def
	col.not_null
	not col.default
	not col.serial
	object.get(col, "identity", "") == ""
	not col.generated
}

found.alter_column_type contains {"check": "alter_column_type", "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	some path
	some a in actions[path].alter_column_type
}

found.set_not_null contains {"check": "set_not_null", "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	some path
	some a in actions[path].set_not_null
	not proven_not_null(path, a)
}

# From PostgreSQL 12, SET NOT NULL skips the scan when a validated
# CHECK (col IS NOT NULL) exists: one validated earlier in this file,
# named for the column (it was added NOT VALID by an earlier migration),
# or added here with its expression. Both are gathered once per file.
validations := {path: object.get(by, "validate_constraint", []) | some path, by in actions}

not_null_checks := {path: [{"i": j, "table": rel(st), "column": column, "constraint": cmd.constraint} |
	some j in object.get(kinds[path], "alter_table", [])
	st := stmts[j]
	some cmd in st.alter_table.commands
	cmd.action == "add_constraint"
	cmd.constraint.type == "check"
	m := regex.find_all_string_submatch_n(`(?i)^\(?\s*"?([^"\s()]+)"?\s+is\s+not\s+null\s*\)?$`, cmd.constraint.expr, 1)
	count(m) == 1
	column := lower(m[0][1])
] |
	some path, stmts in statements
}

proven_not_null(path, a) if {
	pg_version >= 12
	some b in validations[path]
	b.i < a.i
	b.table == a.table
	contains(lower(b.cmd.name), lower(a.cmd.column))
}

proven_not_null(path, a) if {
	pg_version >= 12
	some c in not_null_checks[path]
	c.i < a.i
	c.table == a.table
	c.column == lower(a.cmd.column)
	validated_by(path, c.constraint, c.i, a.i)
}

validated_by(_, c, _, _) if not c.not_valid

validated_by(path, c, j, i) if {
	some b in validations[path]
	b.i > j
	b.i < i
	lower(b.cmd.name) == lower(c.name)
}

constraint_check := {"foreign_key": "add_foreign_key", "check": "add_check", "unique": "add_unique", "primary_key": "add_unique"}

# A constraint added to an existing table: validated at once unless NOT
# VALID; UNIQUE and PRIMARY KEY build an index unless USING INDEX.
found[check] contains {"check": check, "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	validated := {"foreign_key": "add_foreign_key", "check": "add_check"}
	some path, by in actions
	some a in by.add_constraint
	c := a.cmd.constraint
	not c.not_valid
	check := validated[c.type]
}

found.add_unique contains {"check": "add_unique", "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	some path
	some a in actions[path].add_constraint
	a.cmd.constraint.type in {"unique", "primary_key"}
	object.get(a.cmd.constraint, "using_index", "") == ""
}

# Constraints written inside ADD COLUMN cannot be NOT VALID or USING
# INDEX: REFERENCES validates (and locks both tables), UNIQUE and PRIMARY
# KEY build an index under the table's lock.
found[check] contains {"check": check, "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	checks := constraint_check
	some path, by in actions
	some a in by.add_column
	some c in a.cmd.column_def.constraints
	check := checks[c.type]
}

# NOT VALID then VALIDATE in one transaction: the ACCESS EXCLUSIVE lock of
# the ADD is held while VALIDATE scans, which is what NOT VALID avoids.
# The NOT VALID constraints are looked up by table and name (the first
# added wins), not joined with every VALIDATE: a join is quadratic in a
# long migration.
not_valid_added := {path: object.union_n(array.reverse(adds)) |
	some path, by in actions
	adds := [{key: a} |
		some a in object.get(by, "add_constraint", [])
		a.cmd.constraint.not_valid
		key := concat(".", [a.table, lower(a.cmd.constraint.name)])
	]
}

found[check] contains {"check": check, "path": path, "i": v.i, "table": v.table, "line": v.line, "end_line": v.end_line} if {
	checks := constraint_check
	some path, added in not_valid_added
	some v in validations[path]
	a := added[concat(".", [v.table, lower(v.cmd.name)])]
	a.i < v.i
	same_transaction(path, a.i, v.i)
	check := checks[a.cmd.constraint.type]
}

found.drop_column contains {"check": "drop_column", "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	some path
	some a in actions[path].drop_column
}

found.drop_table contains {"check": "drop_table", "path": path, "i": i, "table": table, "line": st.line, "end_line": st.end_line} if {
	some path, stmts in statements
	some i in kinds[path].drop_table
	st := stmts[i]
	live_st(path, st)
	some obj in st.drop.objects
	table := name_of(obj)
	not created_before(path, table, i)
}

found.rename_column contains {"check": "rename_column", "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	some path
	some a in actions[path].rename_column
}

found.rename_table contains {"check": "rename_table", "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	some path
	some a in actions[path].rename_table
}

found.update_without_where contains {"check": "update_without_where", "path": path, "i": i, "table": rel(st), "line": st.line, "end_line": st.end_line} if {
	some path, stmts in statements
	some i in kinds[path].update
	st := stmts[i]
	live_st(path, st)
	st.has_where == false
	not created_before_st(path, st, i)
}

found.delete_without_where contains {"check": "delete_without_where", "path": path, "i": i, "table": rel(st), "line": st.line, "end_line": st.end_line} if {
	some path, stmts in statements
	some i in kinds[path].delete
	st := stmts[i]
	live_st(path, st)
	st.has_where == false
	not created_before_st(path, st, i)
}

found.vacuum_full contains {"check": "vacuum_full", "path": path, "i": i, "table": rel(st), "line": st.line, "end_line": st.end_line} if {
	some path, stmts in statements
	some kind in {"vacuum", "analyze"}
	some i in kinds[path][kind]
	st := stmts[i]
	live_st(path, st)
	st.vacuum.full
}

found.cluster contains {"check": "cluster", "path": path, "i": i, "table": rel(st), "line": st.line, "end_line": st.end_line} if {
	some path, stmts in statements
	some i in kinds[path].cluster
	st := stmts[i]
	live_st(path, st)
}

found.reindex contains {"check": "reindex", "path": path, "i": i, "table": rel(st), "line": st.line, "end_line": st.end_line} if {
	some path, stmts in statements
	some i in kinds[path].reindex
	st := stmts[i]
	live_st(path, st)
	not st.reindex.concurrently
	not created_before_st(path, st, i)
}

found.detach_partition contains {"check": "detach_partition", "path": path, "i": a.i, "table": a.table, "line": a.line, "end_line": a.end_line} if {
	some path
	some a in actions[path].detach_partition
	not a.cmd.concurrently
}

found.truncate_cascade contains {"check": "truncate_cascade", "path": path, "i": i, "table": rel(st), "line": st.line, "end_line": st.end_line} if {
	some path, stmts in statements
	some i in kinds[path].truncate
	st := stmts[i]
	live_st(path, st)
	st.truncate.cascade
}

found.drop_database contains {"check": "drop_database", "path": path, "i": i, "table": "", "line": st.line, "end_line": st.end_line} if {
	some path, stmts in statements
	some i in kinds[path].drop_database
	st := stmts[i]
	live_st(path, st)
}

# A BEGIN no COMMIT ends: the migration's changes are rolled back when the
# session ends, or the tool commits what it did not mean to.
found.uncommitted_transaction contains {"check": "uncommitted_transaction", "path": path, "i": i, "table": "", "line": st.line, "end_line": st.end_line} if {
	some path, m in projected
	m.unclosed_transaction_line > 0
	some i in m.kinds.begin
	st := m.statements[i]
	st.line == m.unclosed_transaction_line
	live_st(path, st)
}

# A BEGIN inside a transaction (an explicit one, or the one the tool
# wraps the file in): PostgreSQL ignores it, and its COMMIT then commits
# the outer transaction early.
found.transaction_nesting contains {"check": "transaction_nesting", "path": path, "i": i, "table": "", "line": st.line, "end_line": st.end_line} if {
	some path, stmts in statements
	some i in kinds[path].begin
	st := stmts[i]
	live_st(path, st)
	st.transaction.nested
}

# ALTER TYPE ... ADD VALUE: before PostgreSQL 12 it cannot run inside a
# transaction; from 12 it can, but the new value cannot be used until the
# transaction commits.
found.enum_add_value contains {"check": "enum_add_value", "path": path, "i": i, "table": "", "line": st.line, "end_line": st.end_line} if {
	pg_version < 12
	some path, stmts in statements
	some i in kinds[path].alter_enum
	st := stmts[i]
	live_st(path, st)
	object.get(st.alter_enum, "add_value", "") != ""
	in_transaction(path, st)
}

found.enum_add_value contains {"check": "enum_add_value", "path": path, "i": j, "table": "", "line": later.line, "end_line": later.end_line} if {
	some path, stmts in statements
	some i in kinds[path].alter_enum
	st := stmts[i]
	live_st(path, st)
	v := object.get(st.alter_enum, "add_value", "")
	v != ""
	some j, later in stmts
	j > i
	later.kind != "parse_error"
	live_st(path, later)
	same_transaction(path, i, j)
	contains(later.text, concat("", ["'", replace(v, "'", "''"), "'"]))
}

# lock_timeout: a new migration's first statement that locks an existing
# table runs without a lock timeout. statement_timeout is not one: it
# bounds the statement, including its wait, and every query queued behind
# the waiting lock waits with it.
locking_kinds := {"alter_table", "create_index", "drop_index", "drop_table", "create_trig", "truncate", "lock", "vacuum", "cluster", "reindex"}

# Only the first locking statement of a new migration is reported, so
# each kind's statements are scanned only when its first one does not
# lock (first_locking): a long migration is not walked once per kind.
locks(path, stmts, i) if {
	st := stmts[i]
	live_st(path, st)
	not concurrent(st)
	not created_before_st(path, st, i)
}

first_locking(path, stmts, ks) := ks[0] if locks(path, stmts, ks[0])

else := min(is) if {
	is := {i | some i in ks; locks(path, stmts, i)}
	count(is) > 0
}

locking := {path: is |
	some path, stmts in statements
	is := {i |
		some kind in locking_kinds
		i := first_locking(path, stmts, object.get(kinds[path], kind, []))
	}
	count(is) > 0
}

found.lock_timeout contains {"check": "lock_timeout", "path": path, "i": first, "table": rel(st), "line": st.line, "end_line": st.end_line} if {
	some path, f in migrations
	f.status == "added"
	first := min(locking[path])
	st := statements[path][first]
	no_lock_timeout(object.get(st, "lock_timeout", ""))
}

no_lock_timeout(v) if v == ""

no_lock_timeout(v) if v in {"0", "'0'", "0ms", "0s"}

# Severity: the check's configured level, raised to error on a known-large
# table.
level(check) := levels[check]

# levels are the configured levels, looked up once rather than per finding.
levels := {check: object.get(settings.checks, check, sev) | some check, sev in default_severity}

# The statement whose ignore comments apply: a statement found in a DO
# block or a function body takes those of the statement that holds it.
holder(path, i) := i if not statements[path][i].from

else := max({j | some j, s in statements[path]; j < i; not s.from})

ignores_of(path, i, check) := [ig |
	some ig in statements[path][holder(path, i)].ignores
	covers(ig, check)
]

covers(ig, check) if check in ig.checks

covers(ig, _) if "all" in ig.checks

# has_ignores are the migrations with an ignore comment at all (a
# statement's ignores are among its file's): in the others no finding is
# looked up for one.
has_ignores := {path | some path, m in projected; count(m.ignores) > 0}

# ignored is asked of every finding: it looks at the statement's ignores
# directly rather than building ignores_of's list each time.
ignored(path, i, check) if {
	has_ignores[path]
	some ig in statements[path][holder(path, i)].ignores
	covers(ig, check)
	ig.source == "squawk"
}

ignored(path, i, check) if {
	has_ignores[path]
	some ig in statements[path][holder(path, i)].ignores
	covers(ig, check)
	trim_space(ig.reason) != ""
}

# has_file_ignores are the migrations with a file-wide ignore comment.
has_file_ignores := {path | some path, m in projected; count(m.file_ignores) > 0}

ignored(path, _, check) if {
	has_file_ignores[path]
	some c in projected[path].file_ignores
	c in {check, "all"}
}

# ignored_found are the findings an ignore comment lets through. Only the
# migrations with ignore comments are looked at, so in the usual case no
# finding is looked up at all.
ignored_found := {raw |
	some path in (has_ignores | has_file_ignores)
	some raws in found
	some raw in raws
	raw.path == path
	ignored(path, raw.i, raw.check)
}

# reported are what the checks report (not off, not ignored) with their
# messages, and what could not be read. found is grouped by check, so that
# each check's title, advice and levels are looked up once, not once per
# finding: a long migration has thousands of findings, and a lookup in a
# rule's value costs more than building the finding. Each finding is one
# object literal built with builtins and local lookups.
reported contains {
	"check": check, "path": raw.path, "i": raw.i, "table": raw.table,
	"severity": object.get(on_large, raw.table, level), "line": raw.line, "end_line": raw.end_line,
	"msg": concat("", [
		title,
		object.get(no_table, raw.table, concat("", [" on `", raw.table, "`"])),
		object.get(inside, [raw.path, raw.i], ""),
		tail,
	]),
} if {
	some check, raws in found
	skipped := ignored_found
	inside := inside_text
	level := levels[check]
	level != "off"
	on_large := {table: "error" | some table in large_tables}
	title := check_title[check]
	tail := message_tail[check]
	some raw in raws
	not skipped[raw]
}

no_table := {"": ""}

# What cannot be read is not passed: a migration whose content could not
# be had, one over the byte or time bound, a statement PostgreSQL rejects
# (its message and line; the statements after it are still checked).
unreadable contains {"path": path, "line": 0, "why": why} if {
	some path, f in migrations
	not f.migration
	f.migration_unread
	why := f.migration_unread
}

unreadable contains {"path": path, "line": 0, "why": why} if {
	some path, f in migrations
	not f.migration
	not f.migration_unread
	why := "mergeguard did not read it whole, so its statements were not checked"
}

unreadable contains {"path": path, "line": m.limit.line, "why": m.limit.message} if {
	some path, m in projected
	m.limit
}

unreadable contains {"path": path, "line": st.line, "why": why} if {
	some path, stmts in statements
	some i in kinds[path].parse_error
	st := stmts[i]
	live_st(path, st)
	why := sprintf("PostgreSQL cannot parse the statement here (%s at line %d), so it was not checked (the statements after it were)", [st.error.message, st.error.line])
}

unreadable_findings contains {"check": "unreadable", "path": u.path, "line": u.line, "end_line": u.line, "severity": level("unreadable"), "msg": sprintf("Unreadable migration `%s` (unreadable): %s.", [u.path, u.why])} if {
	some u in unreadable
	level("unreadable") != "off"
}

reported contains f if some f in unreadable_findings

blocking := {f | some f in reported; f.severity == "error"}

# Line-less findings are only about unreadable files.
lineless := {f | some f in unreadable_findings; f.line == 0}

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

# A finding with a line is denied as reported: the engine reads msg, path,
# line and end_line and ignores the other keys, and the object (its hash
# already computed) goes into deny without being built again.
deny contains f if {
	not team_approved
	some f in reported
	f.severity == "error"
	f.line > 0
}

deny contains {"msg": f.msg, "path": f.path} if {
	not team_approved
	some f in lineless
	f.severity == "error"
}

deny contains msg if {
	team_named
	not team_approved
	count(blocking) > 0
	missing := team_needed - count(team_approvers)
	msg := sprintf("Migrations with these findings need %d more %s from %s, or each finding ignored with a reason.", [
		missing, lib.plural(missing, "approval", "approvals"), lib.who(team_teams, team_users),
	])
}

warn contains {"msg": concat("", [f.msg, accepted]), "path": f.path, "line": f.line, "end_line": f.end_line} if {
	team_approved
	some f in blocking
	f.line > 0
}

warn contains {"msg": concat("", [f.msg, accepted]), "path": f.path} if {
	team_approved
	some f in lineless
	f.severity == "error"
}

accepted := concat("", [" Accepted by the database team's approval (", concat(", ", [sprintf("@%s", [l]) | some l in sort(team_approvers)]), ")."])

warn contains f if {
	some f in reported
	f.severity == "warning"
	f.line > 0
}

warn contains {"msg": f.msg, "path": f.path} if {
	some f in lineless
	f.severity == "warning"
}

# Ignores are shown, so that what was let through is on the record.
warn contains {"msg": msg, "path": raw.path, "line": ig.line} if {
	some path in has_ignores
	some raws in found
	some raw in raws
	raw.path == path
	some ig in ignores_of(raw.path, raw.i, raw.check)
	why := ignore_reason(ig)
	msg := sprintf("%s ignored here: %s", [check_title[raw.check], why])
}

ignore_reason(ig) := sprintf("`-- squawk-ignore %s`", [ig.rule]) if ig.source == "squawk"

else := ig.reason if trim_space(ig.reason) != ""

warn contains {"msg": msg, "path": path, "line": ig.line} if {
	some path, m in projected
	some ig in m.ignores
	ig.source == "mergeguard"
	trim_space(ig.reason) == ""
	msg := sprintf("`-- mergeguard:ignore %s` needs a reason after the check's name, e.g. `-- mergeguard:ignore %s the table has 200 rows`; without one it ignores nothing.", [ig.rule, ig.rule])
}

warn contains {"msg": msg, "path": path, "line": ig.line} if {
	some path, m in projected
	some ig in m.ignores
	ig.source == "mergeguard"
	not lower(ig.rule) in object.keys(default_severity)
	lower(ig.rule) != "all"
	msg := sprintf("`-- mergeguard:ignore %s` names no check; the checks are %s.", [ig.rule, concat(", ", sort(object.keys(default_severity)))])
}

warn contains {"msg": msg, "path": path, "line": ig.line} if {
	some path, m in projected
	some ig in m.ignores
	ig.source == "squawk"
	count(ig.checks) == 0
	msg := sprintf("`-- squawk-ignore %s` ignores nothing here: mergeguard has no check for squawk's %s (docs/migrations.md lists the mapping).", [ig.rule, ig.rule])
}

# Messages: what happens, and the safe way.
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
	"reindex": "REINDEX without CONCURRENTLY",
	"detach_partition": "DETACH PARTITION without CONCURRENTLY",
	"truncate_cascade": "TRUNCATE ... CASCADE",
	"drop_database": "DROP DATABASE",
	"uncommitted_transaction": "BEGIN without COMMIT",
	"transaction_nesting": "Nested BEGIN",
	"enum_add_value": "ALTER TYPE ... ADD VALUE",
	"unreadable": "Unreadable migration",
}

# inside_text[path][i] says where statement i of path was found when it
# is inside a DO block or a function body (object.get reads it with the
# path [path, i]). Only migrations with such bodies are walked.
inside_text := {path: texts |
	some path, m in projected
	some kind in ["do", "create_function", "create_procedure"]
	count(object.get(m.kinds, kind, [])) > 0
	texts := {i: inside(st) | some i, st in m.statements; st.from}
}

advice_text := {check: advice_for(check) | some check, _ in check_title; check != "unreadable"}

# message_tail[check] is what follows the statement's place in each of
# the check's messages, joined once per check rather than per finding.
message_tail := {check: concat("", [" (", check, "): ", text]) | some check, text in advice_text}

# A statement found in a DO block or a function body says so: it runs when
# the block (at once) or the function (when called) runs.
inside(st) := "" if not st.from

else := msg if {
	st.from.kind == "do_block"
	msg := sprintf(", inside the DO block at line %d", [st.from.line])
} else := msg if {
	st.from.kind == "function_body"
	msg := sprintf(", inside function %s defined at line %d", [st.from.function, st.from.line])
} else := ""

advice_for(check) := concat("", [advice.volatile_default, " Before PostgreSQL 11 (postgres_version) any default rewrites the table."]) if {
	check == "volatile_default"
	pg_version < 11
} else := advice.set_not_null_old if {
	check == "set_not_null"
	pg_version < 12
} else := advice[check]

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
	"reindex": "REINDEX without CONCURRENTLY blocks writes to the table (and reads through the index) until it finishes. Use REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction.",
	"detach_partition": "DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the partitioned table. Use DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), outside a transaction.",
	"truncate_cascade": "CASCADE also empties every table with a foreign key to this one, and the tables referencing those, which the statement does not name. Truncate the tables by name.",
	"drop_database": "the database and all its data are gone for good. Drop databases by hand, never in a migration.",
	"uncommitted_transaction": "no COMMIT ends this transaction: the migration's changes are rolled back when the session ends, or committed by whatever runs next. End the transaction with COMMIT.",
	"transaction_nesting": "a transaction is already open here (an explicit BEGIN, or the one the migration tool wraps the file in); PostgreSQL ignores this BEGIN, and its COMMIT commits the outer transaction early. Remove the BEGIN/COMMIT, or tell the tool not to wrap the file.",
	"enum_add_value": "a value added to an enum cannot be used until the transaction that adds it commits (and before PostgreSQL 12 ADD VALUE cannot run in a transaction at all). Add the value in a migration of its own and use it in a later one.",
	"set_not_null_old": "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, and before PostgreSQL 12 a validated CHECK (col IS NOT NULL) does not avoid the scan. Keep the NOT VALID check constraint instead of SET NOT NULL until the database is upgraded.",
	"lock_timeout": "the migration sets no lock_timeout, so a statement waiting for its lock behind a long query makes every other query on the table wait too. Start the migration with SET lock_timeout = '5s' (and retry the deploy if it times out).",
}
