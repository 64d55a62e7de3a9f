SET lock_timeout = '2s';
SET statement_timeout = '10s';
CREATE UNIQUE INDEX users_email_idx ON users (email);
