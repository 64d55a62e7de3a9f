-- The seq of the event that began a burst on a quiet pull request (no
-- event for the quiet period before it). A job evaluates that event at
-- once, and waits for the quiet period only before the evaluations that
-- follow (the leading edge of coalescing).
ALTER TABLE pr_queue ADD COLUMN leading_seq BIGINT NOT NULL DEFAULT 0;
