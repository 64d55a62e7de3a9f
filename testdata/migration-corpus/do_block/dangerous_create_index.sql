SET lock_timeout = '2s';
SET statement_timeout = '10s';
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'orders_user_idx') THEN
    CREATE INDEX orders_user_idx ON orders (user_id);
  END IF;
END
$$;
