-- The replica holding a check run's publishing lease, so that the leases of
-- a replica that died are freed with its jobs (after the grace period)
-- instead of when they expire. 0: SQLite (one server), or a lease taken
-- before this migration.
ALTER TABLE check_runs ADD COLUMN lease_replica BIGINT NOT NULL DEFAULT 0;
