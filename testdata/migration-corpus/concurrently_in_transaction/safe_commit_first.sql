BEGIN;
SET lock_timeout = '2s';
SET statement_timeout = '10s';
CREATE TABLE IF NOT EXISTS carts (id bigint PRIMARY KEY);
COMMIT;
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);
