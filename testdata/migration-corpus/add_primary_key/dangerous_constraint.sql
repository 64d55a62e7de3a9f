SET lock_timeout = '2s';
SET statement_timeout = '10s';
ALTER TABLE items ADD PRIMARY KEY (id);
