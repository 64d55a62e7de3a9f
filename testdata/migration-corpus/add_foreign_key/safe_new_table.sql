SET lock_timeout = '2s';
SET statement_timeout = '10s';
CREATE TABLE IF NOT EXISTS carts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
