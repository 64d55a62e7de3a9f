SET lock_timeout = '2s';
SET statement_timeout = '10s';
CREATE INDEX IF NOT EXISTS carts_user_idx ON carts (user_id);
CREATE TABLE IF NOT EXISTS carts (id bigint PRIMARY KEY, user_id bigint);
