SET lock_timeout = '2s';
SET statement_timeout = '10s';
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0);
