SET lock_timeout = '2s';
SET statement_timeout = '10s';
ALTER TABLE items ADD COLUMN IF NOT EXISTS id2 bigint PRIMARY KEY;
