SET lock_timeout = '2s';
SET statement_timeout = '10s';
CREATE OR REPLACE FUNCTION cleanup() RETURNS void LANGUAGE plpgsql AS $body$
BEGIN
  ALTER TABLE orders DROP COLUMN legacy_code;
END;
$body$;
SELECT cleanup();
