-- Revision 0007: per-queue rate limits (jobs started per second, across all workers), as a
-- token bucket kept on the queue row. Backward compatible (new nullable/defaulted columns).
ALTER TABLE conveyor.queues
    ADD COLUMN rate_limit double precision CHECK (rate_limit > 0),
    ADD COLUMN tokens double precision NOT NULL DEFAULT 0,
    ADD COLUMN tokens_at timestamptz NOT NULL DEFAULT now();
