SET lock_timeout = '2s';
SET statement_timeout = '10s';
ALTER TABLE orders ADD COLUMN note text AFTER total;
CREATE INDEX orders_note_idx ON orders (note);
