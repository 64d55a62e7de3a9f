BEGIN;
SET lock_timeout = '2s';
SET statement_timeout = '10s';
ALTER TYPE order_state ADD VALUE IF NOT EXISTS 'refunded' AFTER 'paid';
UPDATE orders SET state = 'refunded' WHERE refunded_at IS NOT NULL;
COMMIT;
