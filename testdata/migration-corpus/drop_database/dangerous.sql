SET lock_timeout = '2s';
SET statement_timeout = '10s';
DROP DATABASE IF EXISTS analytics;
