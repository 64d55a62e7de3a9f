SET lock_timeout = '2s';
SET statement_timeout = '10s';
ALTER TABLE orders ADD COLUMN IF NOT EXISTS c bigint DEFAULT nextval('orders_seq');
