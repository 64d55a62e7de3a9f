package mergeguard.rules.migration_safety_test

import data.mergeguard.rules.migration_safety as ms

# The configuration mergeguard passes when nothing is configured (the
# defaults in the rule's METADATA; a Go test keeps them equal).
defaults := {
	"paths": [
		"**/migrations/**/*.sql",
		"**/migration/**/*.sql",
		"**/migrate/**/*.sql",
		"db/migrate/**/*.sql",
		"**/flyway/**/*.sql",
		"**/db/changelog/**/*.sql",
		"**/schema/**/*.up.sql",
		"**/sql/V*__*.sql",
	],
	"transaction_paths": [],
	"postgres_version": 17,
	"checks": {},
	"large_tables": [],
	"reviewers": {},
}

reviewer_defaults := {
	"approvals": 1,
	"invalidate_on_push": "paths",
	"stale_ignore_paths": ["**/*.md", "docs/**"],
	"requirements": [],
	"trusted_bots": [],
	"bot_authors": [],
	"bot_author_approvals": 1,
}

cfg(overrides) := {"rules": {
	"migration_safety": object.union(defaults, overrides),
	"required_reviewers": reviewer_defaults,
}}

path := "db/migrations/20261122_orders.sql"

# case_file(name) is the file of a case (migration_safety_cases_test.rego)
# as input.files holds it, with its generated projection.
case_file(name) := {
	"path": object.get(cases[name], "path", path),
	"status": object.get(cases[name], "status", "added"),
	"added_lines": [{"line": n, "text": ""} | some n in object.get(cases[name], "added", [])],
	"migration": projections[name],
}

doc(files) := {
	"files": files,
	"pull_request": {"author": {"login": "dev", "type": "User"}},
	"reviews": [],
	"repository": {"owner": "acme"},
	"teams": {"dba": {"found": true, "members": ["dora", "dan"]}},
}

case_checks(name) := found if {
	found := {f.check | some f in ms.reported} with input as doc([case_file(name)])
		with data.mergeguard.config as cfg(object.get(cases[name], "config", {}))
}

# Every case reports exactly its checks; a failure prints the cases that
# did not, with what they reported.
test_every_case_reports_its_checks if {
	wrong := {name: got |
		some name, c in cases
		got := case_checks(name)
		got != {x | some x in c.checks}
	}
	print("cases reporting other checks:", wrong)
	count(wrong) == 0
}

# An input stored before the projection indexed ALTER TABLE commands by
# action (replayed against this policy) is read the same: the rule
# rebuilds the index from the statements. Only the cases with ALTER TABLE
# commands are read again (and compared with their expected checks, which
# test_every_case_reports_its_checks holds them to), so that the test
# stays well inside the time limit of a test.
test_an_input_without_the_actions_index_reports_the_same if {
	wrong := {name: got |
		some name, c in cases
		f := case_file(name)
		count(f.migration.actions) > 0
		old := json.remove(f, ["migration/actions"])
		got := {x.check | some x in ms.reported} with input as doc([old])
			with data.mergeguard.config as cfg(object.get(c, "config", {}))
		got != {x | some x in c.checks}
	}
	print("cases reading differently without the index:", wrong)
	count(wrong) == 0
}

# An input stored before the projection left out empty strings (they were
# given as "") is read the same: the rule tests those fields so that
# absent and empty mean the same. As above, only the cases the older form
# changes beyond lock_timeout (ALTER TABLE and ALTER TYPE) are read again.
test_an_input_with_empty_strings_reports_the_same if {
	wrong := {name: got |
		some name, c in cases
		f := case_file(name)
		some kind in ["alter_table", "alter_enum"]
		f.migration.kinds[kind]
		old := json.patch(f, empty_strings(f.migration))
		got := {x.check | some x in ms.reported} with input as doc([old])
			with data.mergeguard.config as cfg(object.get(c, "config", {}))
		got != {x | some x in c.checks}
	}
	print("cases reading differently with empty strings:", wrong)
	count(wrong) == 0
}

# empty_strings(m) are JSON patches giving m's absent string fields the
# empty strings earlier projections held.
empty_strings(m) := array.concat(
	array.concat(
		[{"op": "add", "path": sprintf("/migration/statements/%d/lock_timeout", [i]), "value": ""} |
			some i, st in m.statements
			not st.lock_timeout
		],
		[{"op": "add", "path": sprintf("/migration/statements/%d/alter_enum/add_value", [i]), "value": ""} |
			some i, st in m.statements
			st.alter_enum
			not st.alter_enum.add_value
		],
	),
	array.concat(
		[{"op": "add", "path": sprintf("/migration/statements/%d/alter_table/commands/%d/column_def/identity", [i, k]), "value": ""} |
			some i, st in m.statements
			some k, cmd in st.alter_table.commands
			cmd.column_def
			not cmd.column_def.identity
		],
		[{"op": "add", "path": sprintf("/migration/statements/%d/alter_table/commands/%d/constraint/using_index", [i, k]), "value": ""} |
			some i, st in m.statements
			some k, cmd in st.alter_table.commands
			cmd.constraint
			not cmd.constraint.using_index
		],
	),
)

test_every_check_has_a_dangerous_and_a_safe_case if {
	covered := {x | some c in cases; some x in c.checks}
	missing := {c | some c, _ in ms.default_severity; not c in covered}
	print("checks without a case:", missing)
	count(missing) == 0
}

# CREATE INDEX: the end-to-end example, located on its line, naming the fix.
test_create_index_is_denied_on_its_line if {
	denials := ms.deny with input as doc([case_file("create_index")])
		with data.mergeguard.config as cfg({})
	count(denials) == 1
	some d in denials
	d.path == path
	d.line == 2
	d.end_line == 2
	contains(d.msg, "CREATE INDEX CONCURRENTLY")
	contains(d.msg, "`orders`")
}

test_a_statement_in_a_do_block_says_so if {
	some d in ms.deny with input as doc([case_file("create_index_in_do_block")]) with data.mergeguard.config as cfg({})
	contains(d.msg, "inside the DO block at line 2")
	d.line == 4
}

test_drop_table_only_warns if {
	count(ms.deny) == 0 with input as doc([case_file("drop_table")]) with data.mergeguard.config as cfg({})
}

test_a_parse_error_says_what_and_where if {
	some d in ms.deny with input as doc([case_file("parse_error_then_danger")]) with data.mergeguard.config as cfg({})
	d.line == 2
	contains(d.msg, "PostgreSQL cannot parse")
	contains(d.msg, "syntax error")
}

test_version_dependent_advice if {
	some d in ms.deny with input as doc([case_file("set_not_null")]) with data.mergeguard.config as cfg({"postgres_version": 11})
	contains(d.msg, "before PostgreSQL 12")
}

test_only_migration_files_are_read if {
	elsewhere := object.union(case_file("create_index"), {"path": "scripts/report.sql"})
	found := ms.reported with input as doc([elsewhere]) with data.mergeguard.config as cfg({})
	count(found) == 0
}

test_a_squawk_ignore_is_shown if {
	result := ms with input as doc([case_file("squawk_ignore")]) with data.mergeguard.config as cfg({})
	count(result.deny) == 0
	result.warn == {{"msg": "CREATE INDEX without CONCURRENTLY ignored here: `-- squawk-ignore require-concurrent-index-creation`", "path": path, "line": 2}}
}

test_a_squawk_ignore_of_an_unmapped_rule_says_so if {
	some w in ms.warn with input as doc([case_file("squawk_ignore_unmapped")]) with data.mergeguard.config as cfg({})
	contains(w.msg, "ignores nothing here")
}

# Inline ignores: mergeguard's own, on a CREATE INDEX at line 3.

ignored(rule, reason) := object.union(case_file("create_index"), {"migration": object.union(projections.create_index, {
	"statements": [
		projections.create_index.statements[0],
		object.union(projections.create_index.statements[1], {"line": 3, "end_line": 3, "ignores": [ig]}),
	],
	"ignores": [ig],
})}) if {
	ig := {"source": "mergeguard", "rule": rule, "checks": [rule], "reason": reason, "line": 2, "statement": 1, "file": false}
}

test_ignore_with_a_reason_passes_and_is_shown if {
	result := ms with input as doc([ignored("create_index", "orders has 40 rows in every region")])
		with data.mergeguard.config as cfg({})
	count(result.deny) == 0
	result.warn == {{"msg": "CREATE INDEX without CONCURRENTLY ignored here: orders has 40 rows in every region", "path": path, "line": 2}}
}

test_ignore_all_covers_every_check if {
	denials := ms.deny with input as doc([ignored("all", "maintenance window")]) with data.mergeguard.config as cfg({})
	count(denials) == 0
}

test_ignore_without_a_reason_ignores_nothing if {
	result := ms with input as doc([ignored("create_index", "")]) with data.mergeguard.config as cfg({})
	count(result.deny) == 1
	some w in result.warn
	contains(w.msg, "needs a reason")
}

test_ignore_of_another_check_does_not_apply if {
	result := ms with input as doc([ignored("drop_index", "not this one")]) with data.mergeguard.config as cfg({})
	count(result.deny) == 1
}

test_ignore_of_an_unknown_check_is_reported if {
	result := ms with input as doc([ignored("create_idx", "typo")]) with data.mergeguard.config as cfg({})
	count(result.deny) == 1
	some w in result.warn
	contains(w.msg, "names no check")
}

# Severity and large tables.

test_severity_can_be_lowered_or_turned_off if {
	warned := ms with input as doc([case_file("create_index")])
		with data.mergeguard.config as cfg({"checks": {"create_index": "warning"}})
	count(warned.deny) == 0
	count(warned.warn) == 1
	off := ms with input as doc([case_file("create_index")])
		with data.mergeguard.config as cfg({"checks": {"create_index": "off"}})
	count(off.deny) + count(off.warn) == 0
}

test_large_tables_raise_severity if {
	denials := ms.deny with input as doc([case_file("drop_column")])
		with data.mergeguard.config as cfg({"large_tables": ["orders"]})
	count(denials) == 1
	small := ms.deny with input as doc([object.union(case_file("drop_column"), {"migration": object.union(projections.drop_column, {"statements": [projections.drop_column.statements[0], object.union(projections.drop_column.statements[1], {"relation": {"schema": "", "name": "refunds"}})]})})])
		with data.mergeguard.config as cfg({"large_tables": ["orders"]})
	count(small) == 0
}

# The database team.

team := {"reviewers": {"teams": ["dba"]}}

approval(login) := {
	"author": {"login": login, "type": "User"}, "state": "APPROVED", "commit_sha": "c0ffee", "on_head": true,
	"changes_since_known": true, "files_changed_since": [],
}

with_reviews(reviews) := object.union(doc([case_file("create_index")]), {"reviews": reviews})

test_findings_need_the_database_team if {
	denials := ms.deny with input as with_reviews([]) with data.mergeguard.config as cfg(team)
	count(denials) == 2
	"Migrations with these findings need 1 more approval from @acme/dba, or each finding ignored with a reason." in denials
}

test_an_approval_from_outside_the_team_does_not_count if {
	denials := ms.deny with input as with_reviews([approval("sam")]) with data.mergeguard.config as cfg(team)
	count(denials) == 2
}

test_the_database_team_approval_lets_findings_through if {
	result := ms with input as with_reviews([approval("dora")]) with data.mergeguard.config as cfg(team)
	count(result.deny) == 0
	some w in result.warn
	contains(w.msg, "Accepted by the database team's approval (@dora)")
	w.line == 2
}

test_an_approval_before_the_migration_changed_does_not_count if {
	stale := object.union(approval("dora"), {"on_head": false, "commit_sha": "0ld5ha", "files_changed_since": [path]})
	denials := ms.deny with input as with_reviews([stale]) with data.mergeguard.config as cfg(team)
	count(denials) == 2
}

# What cannot be read is not passed.

test_a_migration_that_could_not_be_read_blocks if {
	missing := {"path": path, "status": "modified", "migration_unread": "the file is 11000000 bytes, more than the 10 MiB mergeguard reads, so its statements were not checked"}
	denials := ms.deny with input as doc([missing]) with data.mergeguard.config as cfg({})
	count(denials) == 1
	some d in denials
	contains(d.msg, "more than the 10 MiB")
}

test_a_migration_without_its_projection_blocks if {
	denials := ms.deny with input as doc([{"path": path, "status": "modified"}]) with data.mergeguard.config as cfg({})
	count(denials) == 1
}

test_a_bound_hit_blocks_on_its_line if {
	limited := object.union(case_file("create_index_concurrently"), {"migration": object.union(projections.create_index_concurrently, {"limit": {"reason": "time", "line": 2, "message": "reading the file took longer than 10s; the statements from line 2 on were not checked"}})})
	some d in ms.deny with input as doc([limited]) with data.mergeguard.config as cfg({})
	d.line == 2
	contains(d.msg, "longer than 10s")
}
