SET lock_timeout = '2s';
SET statement_timeout = '10s';
TRUNCATE orders CASCADE;
