SET lock_timeout = '2s';
SET statement_timeout = '10s';
DROP TABLE IF EXISTS legacy_orders;
