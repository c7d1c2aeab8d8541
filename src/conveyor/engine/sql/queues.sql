-- name: queue_overview
-- Every queue that has a row or unfinished jobs, with its live numbers (partial indexes only).
WITH live AS (
    SELECT queue,
           count(*) FILTER (WHERE state IN ('queued', 'scheduled', 'retrying') AND run_at <= now()) AS due,
           count(*) FILTER (WHERE state IN ('scheduled', 'retrying') AND run_at > now()) AS waiting,
           count(*) FILTER (WHERE state = 'running') AS running,
           min(run_at) FILTER (WHERE state IN ('queued', 'scheduled', 'retrying') AND run_at <= now())
               AS oldest_due
    FROM conveyor.jobs
    WHERE state IN ('queued', 'scheduled', 'retrying', 'running')
    GROUP BY queue
)
SELECT coalesce(q.name, live.queue) AS name,
       coalesce(q.paused, false) AS paused,
       q.concurrency_limit,
       q.rate_limit,
       coalesce(live.due, 0) AS due,
       coalesce(live.waiting, 0) AS waiting,
       coalesce(live.running, 0) AS running,
       coalesce(extract(epoch FROM now() - live.oldest_due), 0)::float8 AS oldest_due_age_seconds
FROM conveyor.queues q FULL JOIN live ON live.queue = q.name
ORDER BY 1;

-- name: upsert_queue
INSERT INTO conveyor.queues (name, paused, concurrency_limit, rate_limit)
VALUES (%(name)s, coalesce(%(paused)s, false), %(concurrency_limit)s, %(rate_limit)s)
ON CONFLICT (name) DO UPDATE
SET paused = coalesce(%(paused)s, conveyor.queues.paused),
    concurrency_limit = CASE WHEN %(set_limit)s THEN EXCLUDED.concurrency_limit
                             ELSE conveyor.queues.concurrency_limit END,
    rate_limit = CASE WHEN %(set_rate)s THEN EXCLUDED.rate_limit ELSE conveyor.queues.rate_limit END,
    updated_at = now()
RETURNING name, paused, concurrency_limit, rate_limit;

-- name: wake_queue
SELECT pg_notify('conveyor_jobs', %(queue)s);
