SET lock_timeout = '2s';
SET statement_timeout = '10s';
ALTER TABLE orders ALTER COLUMN region SET NOT NULL;
