SET lock_timeout = '2s';
SET statement_timeout = '10s';
ALTER TYPE order_state ADD VALUE IF NOT EXISTS 'refunded' AFTER 'paid';
