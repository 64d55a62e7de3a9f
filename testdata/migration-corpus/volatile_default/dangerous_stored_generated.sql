SET lock_timeout = '2s';
SET statement_timeout = '10s';
ALTER TABLE orders ADD COLUMN IF NOT EXISTS total2 bigint GENERATED ALWAYS AS (total * 2) STORED;
