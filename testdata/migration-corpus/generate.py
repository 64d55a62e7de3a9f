"""Writes the migration corpus: one SQL file per case (squawk's documented
rule examples in dangerous and safe forms, and mergeguard's own cases), and
expected.json with, per file, the mergeguard checks it should raise and the
rules squawk reported on it.

Usage, from this directory: python3 generate.py .
(squawk-cli installed from npm, run through npx).
"""
import json, os, subprocess, sys
# (file, squawk rule, form, expected mergeguard checks, new_check?, sql)
C = []
def add(name, rule, form, checks, sql, new=False):
    C.append(dict(file=name+".sql", squawk_rule=rule, form=form, checks=checks, new_check=new, sql=sql))

T = "SET lock_timeout = '2s';\nSET statement_timeout = '10s';\n"
add("create_index/dangerous_plain", "require-concurrent-index-creation", "dangerous", ["create_index"], T+"CREATE INDEX orders_user_idx ON orders (user_id);\n")
add("create_index/dangerous_unique", "require-concurrent-index-creation", "dangerous", ["create_index"], T+"CREATE UNIQUE INDEX users_email_idx ON users (email);\n")
add("create_index/safe_concurrently", "require-concurrent-index-creation", "safe", [], T+"CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);\n")
add("create_index/safe_new_table", "require-concurrent-index-creation", "safe", [], T+"CREATE TABLE IF NOT EXISTS carts (id bigint PRIMARY KEY, user_id bigint);\nCREATE INDEX IF NOT EXISTS carts_user_idx ON carts (user_id);\n")
add("create_index/dangerous_before_create_table", "require-concurrent-index-creation", "dangerous", ["create_index"], T+"CREATE INDEX IF NOT EXISTS carts_user_idx ON carts (user_id);\nCREATE TABLE IF NOT EXISTS carts (id bigint PRIMARY KEY, user_id bigint);\n")
add("drop_index/dangerous_plain", "require-concurrent-index-deletion", "dangerous", ["drop_index"], T+"DROP INDEX IF EXISTS orders_user_idx;\n")
add("drop_index/safe_concurrently", "require-concurrent-index-deletion", "safe", [], T+"DROP INDEX CONCURRENTLY IF EXISTS orders_user_idx;\n")
add("concurrently_in_transaction/dangerous_begin", "ban-concurrent-index-creation-in-transaction", "dangerous", ["concurrently_in_transaction"], T+"BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);\nCOMMIT;\n")
add("concurrently_in_transaction/dangerous_goose_default", "ban-concurrent-index-creation-in-transaction", "dangerous", ["concurrently_in_transaction"], "-- +goose Up\n"+T+"CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);\n")
add("concurrently_in_transaction/safe_goose_no_transaction", "ban-concurrent-index-creation-in-transaction", "safe", [], "-- +goose Up\n-- +goose NO TRANSACTION\n"+T+"CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);\n")
add("concurrently_in_transaction/safe_commit_first", "ban-concurrent-index-creation-in-transaction", "safe", [], "BEGIN;\n"+T+"CREATE TABLE IF NOT EXISTS carts (id bigint PRIMARY KEY);\nCOMMIT;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);\n")
add("concurrently_in_transaction/safe_dbmate_transaction_false", "ban-concurrent-index-creation-in-transaction", "safe", [], "-- migrate:up transaction:false\n"+T+"CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);\n")
for n, d in [("random", "floor(random() * 10)"), ("uuid_user_function", "uuid()"), ("gen_random_uuid", "gen_random_uuid()"), ("clock_timestamp", "clock_timestamp()"), ("nextval", "nextval('orders_seq')")]:
    add("volatile_default/dangerous_"+n, "adding-field-with-default", "dangerous", ["volatile_default"], T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS c bigint DEFAULT %s;\n" % d)
add("volatile_default/dangerous_identity", "adding-field-with-default", "dangerous", ["volatile_default"], T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS seq bigint GENERATED ALWAYS AS IDENTITY;\n")
add("volatile_default/dangerous_stored_generated", "adding-field-with-default", "dangerous", ["volatile_default"], T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS total2 bigint GENERATED ALWAYS AS (total * 2) STORED;\n")
for n, d in [("constant", "10"), ("now", "now()"), ("text", "'pending'"), ("cast", "'{}'::jsonb")]:
    add("volatile_default/safe_"+n, "adding-field-with-default", "safe", [], T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS c%s jsonb DEFAULT %s;\n" % (n, d) if n=="cast" else T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS c bigint DEFAULT %s;\n" % d if n in ("constant",) else T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS c text DEFAULT %s;\n" % d)
add("not_null_without_default/dangerous", "adding-required-field", "dangerous", ["not_null_without_default"], T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS region text NOT NULL;\n")
add("not_null_without_default/safe_with_default", "adding-required-field", "safe", [], T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS region text NOT NULL DEFAULT 'eu';\n")
add("set_not_null/dangerous", "adding-not-nullable-field", "dangerous", ["set_not_null"], T+"ALTER TABLE orders ALTER COLUMN region SET NOT NULL;\n")
add("set_not_null/safe_after_validated_check", "adding-not-nullable-field", "safe", [], T+"ALTER TABLE orders VALIDATE CONSTRAINT orders_region_not_null;\nALTER TABLE orders ALTER COLUMN region SET NOT NULL;\n")
add("alter_column_type/dangerous", "changing-column-type", "dangerous", ["alter_column_type"], T+"ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n")
add("alter_column_type/dangerous_using", "changing-column-type", "dangerous", ["alter_column_type"], T+"ALTER TABLE orders ALTER COLUMN total SET DATA TYPE numeric USING total::numeric;\n")
add("add_foreign_key/dangerous_constraint", "adding-foreign-key-constraint", "dangerous", ["add_foreign_key"], T+"ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n")
add("add_foreign_key/dangerous_inline_column", "adding-foreign-key-constraint", "dangerous", ["add_foreign_key"], T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS user_id bigint REFERENCES users (id);\n")
add("add_foreign_key/safe_not_valid", "adding-foreign-key-constraint", "safe", [], T+"ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n")
add("add_foreign_key/safe_validate_alone", "adding-foreign-key-constraint", "safe", [], T+"ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n")
add("add_foreign_key/dangerous_not_valid_then_validate_in_transaction", "adding-foreign-key-constraint", "dangerous", ["add_foreign_key"], "BEGIN;\n"+T+"ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\nCOMMIT;\n")
add("add_foreign_key/safe_new_table", "adding-foreign-key-constraint", "safe", [], T+"CREATE TABLE IF NOT EXISTS carts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n")
add("add_check/dangerous", "constraint-missing-not-valid", "dangerous", ["add_check"], T+"ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0);\n")
add("add_check/safe_not_valid", "constraint-missing-not-valid", "safe", [], T+"ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;\n")
add("add_check/dangerous_not_valid_then_validate_in_transaction", "constraint-missing-not-valid", "dangerous", ["add_check"], "BEGIN;\n"+T+"ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;\nCOMMIT;\n")
add("add_unique/dangerous_constraint", "disallowed-unique-constraint", "dangerous", ["add_unique"], T+"ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n")
add("add_unique/dangerous_inline_column", "disallowed-unique-constraint", "dangerous", ["add_unique"], T+"ALTER TABLE users ADD COLUMN IF NOT EXISTS code text UNIQUE;\n")
add("add_unique/safe_using_index", "disallowed-unique-constraint", "safe", [], T+"ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;\n")
add("add_primary_key/dangerous_constraint", "adding-serial-primary-key-field", "dangerous", ["add_unique"], T+"ALTER TABLE items ADD PRIMARY KEY (id);\n")
add("add_primary_key/dangerous_inline_column", "adding-serial-primary-key-field", "dangerous", ["add_unique"], T+"ALTER TABLE items ADD COLUMN IF NOT EXISTS id2 bigint PRIMARY KEY;\n")
add("add_primary_key/safe_using_index", "adding-serial-primary-key-field", "safe", [], T+"ALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY USING INDEX items_id_idx;\n")
add("drop_column/dangerous", "ban-drop-column", "dangerous", ["drop_column"], T+"ALTER TABLE orders DROP COLUMN IF EXISTS legacy_code;\n")
add("drop_table/dangerous", "ban-drop-table", "dangerous", ["drop_table"], T+"DROP TABLE IF EXISTS legacy_orders;\n")
add("drop_table/dangerous_drop_then_create", "ban-drop-table", "dangerous", ["drop_table"], T+"DROP TABLE IF EXISTS users;\nCREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY);\n")
add("rename_column/dangerous", "renaming-column", "dangerous", ["rename_column"], T+"ALTER TABLE orders RENAME COLUMN total TO amount;\n")
add("rename_table/dangerous", "renaming-table", "dangerous", ["rename_table"], T+"ALTER TABLE orders RENAME TO purchases;\n")
add("lock_timeout/dangerous_none", "require-lock-timeout", "dangerous", ["lock_timeout"], "ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;\n")
add("lock_timeout/dangerous_statement_timeout_only", "require-lock-timeout", "dangerous", ["lock_timeout"], "SET statement_timeout = '10s';\nALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;\n")
add("lock_timeout/safe_both", "require-lock-timeout", "safe", [], T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;\n")
add("drop_database/dangerous", "ban-drop-database", "dangerous", ["drop_database"], T+"DROP DATABASE IF EXISTS analytics;\n", new=True)
add("truncate_cascade/dangerous", "ban-truncate-cascade", "dangerous", ["truncate_cascade"], T+"TRUNCATE orders CASCADE;\n", new=True)
add("truncate_cascade/safe_no_cascade", "ban-truncate-cascade", "safe", [], T+"TRUNCATE staging_orders;\n", new=True)
add("uncommitted_transaction/dangerous", "ban-uncommitted-transaction", "dangerous", ["uncommitted_transaction"], "BEGIN;\n"+T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;\n", new=True)
add("uncommitted_transaction/safe", "ban-uncommitted-transaction", "safe", [], "BEGIN;\n"+T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;\nCOMMIT;\n", new=True)
add("transaction_nesting/dangerous_begin_twice", "transaction-nesting", "dangerous", ["transaction_nesting"], "BEGIN;\n"+T+"BEGIN;\nALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;\nCOMMIT;\nCOMMIT;\n", new=True)
add("transaction_nesting/dangerous_begin_in_goose", "transaction-nesting", "dangerous", ["transaction_nesting"], "-- +goose Up\nBEGIN;\n"+T+"ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;\nCOMMIT;\n", new=True)
add("reindex/dangerous_plain", "require-concurrent-reindex", "dangerous", ["reindex"], T+"REINDEX INDEX orders_user_idx;\n", new=True)
add("reindex/safe_concurrently", "require-concurrent-reindex", "safe", [], T+"REINDEX INDEX CONCURRENTLY orders_user_idx;\n", new=True)
add("enum_add_value/dangerous_used_in_same_transaction", "", "dangerous", ["enum_add_value"], "BEGIN;\n"+T+"ALTER TYPE order_state ADD VALUE IF NOT EXISTS 'refunded' AFTER 'paid';\nUPDATE orders SET state = 'refunded' WHERE refunded_at IS NOT NULL;\nCOMMIT;\n", new=True)
add("enum_add_value/safe_alone", "", "safe", [], T+"ALTER TYPE order_state ADD VALUE IF NOT EXISTS 'refunded' AFTER 'paid';\n", new=True)
add("detach_partition/dangerous_plain", "require-concurrent-partition-detach", "dangerous", ["detach_partition"], T+"ALTER TABLE measurements DETACH PARTITION measurements_2020;\n", new=True)
add("detach_partition/safe_concurrently", "require-concurrent-partition-detach", "safe", [], T+"ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;\n", new=True)
add("vacuum_full/dangerous", "", "dangerous", ["vacuum_full"], T+"VACUUM FULL orders;\n")
add("vacuum_full/safe_full_false", "", "safe", [], T+"VACUUM (FULL FALSE, ANALYZE) orders;\n")
add("do_block/dangerous_create_index", "", "dangerous", ["create_index"], T+"DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'orders_user_idx') THEN\n    CREATE INDEX orders_user_idx ON orders (user_id);\n  END IF;\nEND\n$$;\n")
add("function_body/dangerous_drop_column", "", "dangerous", ["drop_column"], T+"CREATE OR REPLACE FUNCTION cleanup() RETURNS void LANGUAGE plpgsql AS $body$\nBEGIN\n  ALTER TABLE orders DROP COLUMN legacy_code;\nEND;\n$body$;\nSELECT cleanup();\n")
add("reading/copy_data_with_quotes", "", "dangerous", ["create_index"], T+"COPY countries (code, name) FROM stdin;\nci\tC\xc3\xb4te d'Ivoire\nnl\tthe \"Netherlands\"\n\\.\nCREATE INDEX countries_name_idx ON countries (name);\n")
add("reading/long_line", "", "dangerous", ["create_index"], T+"INSERT INTO settings (k, v) VALUES ('blob', '" + "x"*8192 + "');\nCREATE INDEX settings_k_idx ON settings (k);\n")
add("reading/parse_error_then_danger", "", "dangerous", ["unreadable", "create_index"], T+"ALTER TABLE orders ADD COLUMN note text AFTER total;\nCREATE INDEX orders_note_idx ON orders (note);\n")

# Run from this directory: python3 generate.py . (squawk-cli from npm on the PATH via npx)
os.chdir(sys.argv[1])
cases = []
for c in C:
    os.makedirs(os.path.dirname(c["file"]), exist_ok=True)
    with open(c["file"], "w") as f:
        f.write(c["sql"])
    out = subprocess.run(["npx", "squawk", "--reporter", "json", "--pg-version=17.0", c["file"]], capture_output=True, text=True, cwd=".")
    try:
        found = sorted({v["rule_name"] for v in json.loads(out.stdout or "[]")})
    except Exception as e:
        found = ["(squawk output unreadable: %s)" % out.stdout[:100]]
    d = {k: c[k] for k in ("file", "squawk_rule", "form", "checks", "new_check")}
    d["squawk"] = found
    cases.append(d)
with open("expected.json", "w") as f:
    json.dump({"squawk_version": "2.66.0", "squawk_command": "squawk --reporter json --pg-version=17.0 FILE", "eval_path": "db/migrations/0001_x.sql", "cases": cases}, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(len(cases))
