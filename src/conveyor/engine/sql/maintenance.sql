-- name: acquire_leadership
-- Take or keep a named leadership lease. Returns a row only to the holder.
INSERT INTO conveyor.leaders (name, holder, expires_at)
VALUES (%(name)s, %(holder)s, now() + make_interval(secs => %(ttl_seconds)s))
ON CONFLICT (name) DO UPDATE
SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
WHERE conveyor.leaders.holder = EXCLUDED.holder OR conveyor.leaders.expires_at < now()
RETURNING holder;

-- name: resign_leadership
DELETE FROM conveyor.leaders WHERE name = %(name)s AND holder = %(holder)s;

-- name: rescue_expired
-- Jobs whose worker stopped heartbeating (crashed, partitioned) go back to the queue, or to
-- the dead-letter when that was their last attempt. The attempt already counted at claim.
WITH expired AS (
    SELECT id FROM conveyor.jobs
    WHERE state = 'running' AND lease_expires_at < now()
    ORDER BY lease_expires_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
),
rescued AS (
    UPDATE conveyor.jobs j
    SET state = CASE WHEN j.cancel_requested THEN 'cancelled'
                     WHEN j.attempts >= j.max_attempts THEN 'dead'
                     ELSE 'retrying' END,
        run_at = now(),
        finished_at = CASE WHEN j.cancel_requested OR j.attempts >= j.max_attempts THEN now() END,
        last_error = jsonb_build_object(
            'kind', 'lease_expired', 'retryable', true,
            'message', format('worker %%s stopped renewing its lease', j.worker_id)),
        worker_id = NULL,
        lease_expires_at = NULL
    FROM expired
    WHERE j.id = expired.id
    RETURNING j.id, j.queue, j.state
),
woken AS (
    SELECT pg_notify('conveyor_jobs', queue)
    FROM (SELECT DISTINCT queue FROM rescued WHERE state = 'retrying') AS q
    WHERE %(notify)s
)
SELECT rescued.* FROM rescued CROSS JOIN (SELECT count(*) FROM woken) AS w;

-- name: promote_due
-- Move delayed and backing-off jobs that are now due to 'queued', and wake their workers.
-- (Workers can claim them without this; it keeps the states honest and wakes idle workers.)
WITH due AS (
    SELECT id FROM conveyor.jobs
    WHERE state IN ('scheduled', 'retrying') AND run_at <= now()
    ORDER BY run_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
),
promoted AS (
    UPDATE conveyor.jobs j SET state = 'queued' FROM due WHERE j.id = due.id
    RETURNING j.queue
),
woken AS (
    SELECT pg_notify('conveyor_jobs', queue) FROM (SELECT DISTINCT queue FROM promoted) AS q
    WHERE %(notify)s
)
SELECT count(*) AS promoted FROM promoted CROSS JOIN (SELECT count(*) FROM woken) AS w;

-- name: delete_finished
-- Retention: remove finished jobs older than their state's retention, a bounded batch per
-- call so a large backlog never holds long locks. The events of those jobs go with them.
WITH old AS (
    SELECT id FROM conveyor.jobs
    WHERE state = ANY(%(states)s::text[])
      AND finished_at < now() - make_interval(secs => %(older_than_seconds)s)
    LIMIT %(limit)s
),
gone AS (
    DELETE FROM conveyor.jobs j USING old WHERE j.id = old.id RETURNING j.id
),
gone_events AS (
    DELETE FROM conveyor.job_events e USING gone WHERE e.job_id = gone.id RETURNING 1
)
SELECT (SELECT count(*) FROM gone) AS jobs, (SELECT count(*) FROM gone_events) AS events;

-- name: queue_stats
-- Depth (due and waiting) and the age of the oldest due job, per queue, from the partial
-- ready index only.
SELECT queue,
       count(*) FILTER (WHERE run_at <= now()) AS due,
       count(*) FILTER (WHERE run_at > now()) AS waiting,
       coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE run_at <= now())), 0)
           AS oldest_due_age_seconds
FROM conveyor.jobs
WHERE state IN ('queued', 'scheduled', 'retrying')
GROUP BY queue;

-- name: running_counts
SELECT queue, count(*) AS running FROM conveyor.jobs WHERE state = 'running' GROUP BY queue;
