SET lock_timeout = '2s';
SET statement_timeout = '10s';
ALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY USING INDEX items_id_idx;
