SET lock_timeout = '2s';
SET statement_timeout = '10s';
DROP TABLE IF EXISTS users;
CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY);
