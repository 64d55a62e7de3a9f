SET lock_timeout = '2s';
SET statement_timeout = '10s';
ALTER TABLE users ADD COLUMN IF NOT EXISTS code text UNIQUE;
