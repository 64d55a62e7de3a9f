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

# stmt(line, code) is a one-line statement as the splitter gives it.
stmt(line, code) := {"text": concat("", [code, ";"]), "code": code, "line": line, "end_line": line, "ignores": []}

# mig(codes) is a new migration file holding one statement per line,
# starting with a lock timeout so that only the statements under test are
# reported.
mig(codes) := migration(array.concat(["SET lock_timeout = ''"], codes))

migration(codes) := {"path": path, "status": "added", "sql": {"statements": [stmt(i + 1, c) | some i, c in codes]}}

doc(files) := {
	"files": files,
	"pull_request": {"author": {"login": "dev", "type": "User"}},
	"reviews": [],
	"repository": {"owner": "acme"},
	"teams": {"dba": {"found": true, "members": ["dora", "dan"]}},
}

# checks(codes) are the names of the checks reported on a new migration.
checks(codes) := found if {
	found := {f.check | some f in ms.reported} with input as doc([mig(codes)])
		with data.mergeguard.config as cfg({})
}

only(codes, check) if checks(codes) == {check}

clean(codes) if count(checks(codes)) == 0

# CREATE INDEX: the end-to-end example, located on its line, naming the fix.

test_create_index_is_denied_on_its_line if {
	denials := ms.deny with input as doc([mig(["CREATE INDEX ON orders (customer_id)"])])
		with data.mergeguard.config as cfg({})
	count(denials) == 1
	some d in denials
	d.path == path
	d.line == 2
	d.end_line == 2
	contains(d.msg, "CREATE INDEX CONCURRENTLY")
	contains(d.msg, "`orders`")
}

test_create_index_forms if {
	only(["CREATE UNIQUE INDEX idx ON public.orders USING btree (id)"], "create_index")
	only(["create index if not exists idx on \"Orders\" (id)"], "create_index")
	clean(["CREATE INDEX CONCURRENTLY idx ON orders (customer_id)"])
	clean(["CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx ON orders (customer_id)"])
}

test_index_on_a_table_created_in_the_same_migration_is_fine if {
	clean(["CREATE TABLE refunds (id bigint PRIMARY KEY, order_id bigint)", "CREATE INDEX ON refunds (order_id)"])
	clean(["CREATE TABLE IF NOT EXISTS billing.refunds (id bigint)", "CREATE INDEX ON billing.refunds (id)"])
}

test_drop_index if {
	only(["DROP INDEX orders_customer_idx"], "drop_index")
	clean(["DROP INDEX CONCURRENTLY IF EXISTS orders_customer_idx"])
}

test_concurrently_inside_a_transaction if {
	"concurrently_in_transaction" in checks(["BEGIN", "CREATE INDEX CONCURRENTLY idx ON orders (id)", "COMMIT"])
	"concurrently_in_transaction" in checks(["START TRANSACTION", "DROP INDEX CONCURRENTLY idx"])
	clean(["BEGIN", "ALTER TABLE orders ADD COLUMN note text", "COMMIT", "CREATE INDEX CONCURRENTLY idx ON orders (id)"])
	clean(["CREATE INDEX CONCURRENTLY idx ON orders (id)"])
}

test_concurrently_in_a_migration_the_tool_wraps if {
	found := {f.check | some f in ms.reported} with input as doc([mig(["CREATE INDEX CONCURRENTLY idx ON orders (id)"])])
		with data.mergeguard.config as cfg({"transaction_paths": ["db/migrations/**"]})
	found == {"concurrently_in_transaction"}
}

test_volatile_default if {
	only(["ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid()"], "volatile_default")
	only(["ALTER TABLE orders ADD COLUMN r float8 NOT NULL DEFAULT random()"], "volatile_default")
	only(["ALTER TABLE orders ADD id2 bigserial"], "volatile_default")
	clean(["ALTER TABLE orders ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()"])
	clean(["ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT ''"])
}

test_not_null_without_default if {
	only(["ALTER TABLE orders ADD COLUMN status text NOT NULL"], "not_null_without_default")
	clean(["ALTER TABLE orders ADD COLUMN status text"])
	clean(["ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new'"])
}

test_several_clauses_are_each_checked if {
	checks(["ALTER TABLE orders ADD COLUMN total numeric(10,2) NOT NULL, ALTER COLUMN note TYPE varchar(20)"]) == {"not_null_without_default", "alter_column_type"}
}

test_alter_column_type if {
	only(["ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)"], "alter_column_type")
	only(["ALTER TABLE orders ALTER total SET DATA TYPE bigint"], "alter_column_type")
	clean(["ALTER TABLE orders ALTER COLUMN total SET DEFAULT 0"])
}

test_set_not_null if {
	only(["ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL"], "set_not_null")
	clean(["ALTER TABLE orders ALTER COLUMN customer_id DROP NOT NULL"])
}

test_foreign_key if {
	only(["ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)"], "add_foreign_key")
	only(["ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers"], "add_foreign_key")
	clean(["ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID"])
	clean(["ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk"])
}

test_check_constraint if {
	only(["ALTER TABLE orders ADD CONSTRAINT positive CHECK (total >= 0)"], "add_check")
	clean(["ALTER TABLE orders ADD CONSTRAINT positive CHECK (total >= 0) NOT VALID"])
}

test_unique_constraint if {
	only(["ALTER TABLE orders ADD CONSTRAINT orders_ref_key UNIQUE (ref)"], "add_unique")
	only(["ALTER TABLE orders ADD PRIMARY KEY (id)"], "add_unique")
	clean(["ALTER TABLE orders ADD CONSTRAINT orders_ref_key UNIQUE USING INDEX orders_ref_idx"])
}

test_drop_column_and_table_warn if {
	only(["ALTER TABLE orders DROP COLUMN legacy_note"], "drop_column")
	only(["ALTER TABLE orders DROP IF EXISTS legacy_note"], "drop_column")
	clean(["ALTER TABLE orders DROP CONSTRAINT orders_ref_key"])
	only(["DROP TABLE legacy_orders"], "drop_table")
	clean(["CREATE TABLE scratch (id int)", "DROP TABLE scratch"])
	denials := ms.deny with input as doc([mig(["DROP TABLE legacy_orders"])]) with data.mergeguard.config as cfg({})
	count(denials) == 0
}

test_renames if {
	only(["ALTER TABLE orders RENAME COLUMN note TO comment"], "rename_column")
	only(["ALTER TABLE orders RENAME note TO comment"], "rename_column")
	only(["ALTER TABLE orders RENAME TO purchases"], "rename_table")
	clean(["ALTER TABLE orders RENAME CONSTRAINT a TO b"])
}

test_backfills if {
	only(["UPDATE orders SET status = ''"], "update_without_where")
	only(["DELETE FROM orders"], "delete_without_where")
	clean(["UPDATE orders SET status = '' WHERE id < 1000"])
	clean(["DELETE FROM orders WHERE created_at < now() - interval '1 year'"])
	clean(["CREATE TABLE t (id int)", "UPDATE t SET id = 1"])
}

test_rewrites if {
	only(["VACUUM FULL orders"], "vacuum_full")
	only(["VACUUM (FULL, ANALYZE) orders"], "vacuum_full")
	clean(["VACUUM ANALYZE orders"])
	only(["CLUSTER orders USING orders_pkey"], "cluster")
}

test_lock_timeout if {
	found := {f.check | some f in ms.reported} with input as doc([migration(["ALTER TABLE orders ADD COLUMN note text"])])
		with data.mergeguard.config as cfg({})
	found == {"lock_timeout"}
	clean(["ALTER TABLE orders ADD COLUMN note text"])
	set_later := {f.check | some f in ms.reported} with input as doc([migration(["ALTER TABLE orders ADD COLUMN note text", "SET lock_timeout = ''"])])
		with data.mergeguard.config as cfg({})
	set_later == {"lock_timeout"}
	new_table := {f.check | some f in ms.reported} with input as doc([migration(["CREATE TABLE t (id int)", "CREATE INDEX ON t (id)"])])
		with data.mergeguard.config as cfg({})
	count(new_table) == 0
}

test_lock_timeout_is_not_asked_of_a_changed_file if {
	changed := object.union(migration(["ALTER TABLE orders ADD COLUMN note text"]), {"status": "modified"})
	found := {f.check | some f in ms.reported} with input as doc([changed]) with data.mergeguard.config as cfg({})
	count(found) == 0
}

test_only_migration_files_are_read if {
	elsewhere := object.union(mig(["CREATE INDEX ON orders (id)"]), {"path": "scripts/report.sql"})
	found := ms.reported with input as doc([elsewhere]) with data.mergeguard.config as cfg({})
	count(found) == 0
}

test_down_migrations_are_not_checked if {
	down := {"path": path, "status": "added", "sql": {"statements": [
		stmt(1, "SET lock_timeout = ''"),
		object.union(stmt(3, "DROP INDEX orders_customer_idx"), {"down": true}),
	]}}
	found := ms.reported with input as doc([down]) with data.mergeguard.config as cfg({})
	count(found) == 0
}

# Inline ignores.

ignored(rule, reason) := {"path": path, "status": "added", "sql": {"statements": [
	stmt(1, "SET lock_timeout = ''"),
	object.union(stmt(3, "CREATE INDEX ON orders (customer_id)"), {"ignores": [{"rule": rule, "reason": reason, "line": 2}]}),
]}}

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
	warned := ms with input as doc([mig(["CREATE INDEX ON orders (id)"])])
		with data.mergeguard.config as cfg({"checks": {"create_index": "warning"}})
	count(warned.deny) == 0
	count(warned.warn) == 1
	off := ms with input as doc([mig(["CREATE INDEX ON orders (id)"])])
		with data.mergeguard.config as cfg({"checks": {"create_index": "off"}})
	count(off.deny) + count(off.warn) == 0
}

test_large_tables_raise_severity if {
	denials := ms.deny with input as doc([mig(["ALTER TABLE public.orders DROP COLUMN note"])])
		with data.mergeguard.config as cfg({"large_tables": ["orders"]})
	count(denials) == 1
	small := ms.deny with input as doc([mig(["ALTER TABLE refunds DROP COLUMN note"])])
		with data.mergeguard.config as cfg({"large_tables": ["orders"]})
	count(small) == 0
}

# The database team.

team := {"reviewers": {"teams": ["dba"]}}

approval(login) := {
	"author": {"login": login, "type": "User"}, "state": "APPROVED", "commit_sha": "c0ffee", "on_head": true,
	"changes_since_known": true, "files_changed_since": [],
}

with_reviews(reviews) := object.union(doc([mig(["CREATE INDEX ON orders (customer_id)"])]), {"reviews": reviews})

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

test_a_migration_without_a_diff_blocks if {
	missing := {"path": path, "status": "modified", "patch_missing": true}
	denials := ms.deny with input as doc([missing]) with data.mergeguard.config as cfg({})
	count(denials) == 1
	some d in denials
	contains(d.msg, "GitHub sent no diff")
}

test_a_migration_diffed_from_its_contents_is_checked if {
	diffed := {"path": path, "status": "modified", "patch_missing": true, "contents_diffed": true, "sql": {"statements": [stmt(3, "SELECT 1")]}}
	count(ms.deny) == 0 with input as doc([diffed]) with data.mergeguard.config as cfg({})
}

test_an_incomplete_statement_blocks if {
	broken := {"path": path, "status": "modified", "sql": {"statements": [object.union(stmt(7, "UPDATE orders SET note = "), {"incomplete": true})]}}
	denials := ms.deny with input as doc([broken]) with data.mergeguard.config as cfg({})
	count(denials) == 1
	some d in denials
	d.line == 7
	contains(d.msg, "could not be read whole")
}
