-- The seq a job last started evaluating at. When a job gives up (its pull
-- request is gone, or it ran out of attempts), events that arrived after that
-- point are handed to a new job instead of being lost.
ALTER TABLE pr_queue ADD COLUMN started_seq BIGINT NOT NULL DEFAULT 0;
