SET lock_timeout = '2s';
SET statement_timeout = '10s';
REINDEX INDEX CONCURRENTLY orders_user_idx;
