-- name: enqueue
-- Insert a batch of jobs given as parallel arrays, in input order (ids follow that order).
-- A job whose idempotency key (or schedule fire) already exists is skipped here; the caller
-- reads the existing one back by key. Due jobs wake listening workers via NOTIFY.
-- The notifying CTE is CROSS JOINed into the result: PostgreSQL only runs a SELECT CTE that is
-- referenced, and would remove an unused LEFT JOIN (and with it the notifications).
WITH input AS (
    SELECT *
    FROM unnest(
        %(queues)s::text[], %(types)s::text[], %(payloads)s::jsonb[], %(priorities)s::smallint[],
        %(run_ats)s::timestamptz[], %(max_attempts)s::int[], %(timeouts)s::float8[],
        %(keys)s::text[], %(schedule_ids)s::bigint[], %(scheduled_fors)s::timestamptz[],
        %(trace_contexts)s::jsonb[], %(created_bys)s::bigint[], %(fingerprints)s::text[]
    ) WITH ORDINALITY AS t(queue, type, payload, priority, run_at, max_attempts, timeout_seconds,
                           idempotency_key, schedule_id, scheduled_for, trace_context, created_by,
                           request_fingerprint, ord)
),
inserted AS (
    INSERT INTO conveyor.jobs (queue, type, payload, state, priority, run_at, max_attempts,
                               timeout_seconds, idempotency_key, schedule_id, scheduled_for,
                               trace_context, created_by, request_fingerprint)
    SELECT queue, type, payload,
           CASE WHEN run_at > now() THEN 'scheduled' ELSE 'queued' END,
           priority, coalesce(run_at, now()), max_attempts, timeout_seconds, idempotency_key,
           schedule_id, scheduled_for, trace_context, created_by, request_fingerprint
    FROM input
    ORDER BY ord
    ON CONFLICT DO NOTHING
    RETURNING *
),
woken AS (
    SELECT pg_notify('conveyor_jobs', queue)
    FROM (SELECT DISTINCT queue FROM inserted WHERE state = 'queued') AS due
    WHERE %(notify)s
)
SELECT inserted.* FROM inserted CROSS JOIN (SELECT count(*) FROM woken) AS w
ORDER BY inserted.id;

-- name: jobs_by_idempotency_keys
SELECT * FROM conveyor.jobs WHERE idempotency_key = ANY(%(keys)s::text[]);

-- name: get_job
SELECT * FROM conveyor.jobs WHERE id = %(id)s;

-- name: get_jobs
SELECT * FROM conveyor.jobs WHERE id = ANY(%(ids)s::bigint[]);

-- name: job_events
SELECT * FROM conveyor.job_events WHERE job_id = %(id)s ORDER BY id;

-- name: queue_limit
-- What the producer needs to know before claiming from a queue.
SELECT paused, concurrency_limit, rate_limit FROM conveyor.queues WHERE name = %(queue)s;

-- name: lock_queue
-- Serialises claims on a queue with a concurrency or rate limit, so that the running count and
-- the token bucket the next statement reads are current (a later statement gets a fresh snapshot).
SELECT pg_advisory_xact_lock(hashtextextended('conveyor.queue.' || %(queue)s, 0));

-- name: claim
-- Claim up to %(limit)s due jobs of one queue, highest priority first, oldest first.
-- SKIP LOCKED lets many workers claim at once without waiting on each other. Due
-- 'scheduled'/'retrying' rows are claimed directly, so a delayed job does not wait for the
-- maintenance promoter. Capacity honours pause, the concurrency limit and the rate limit
-- (tokens refilled at rate_limit per second, holding at most one second's worth).
WITH capacity AS (
    SELECT CASE
               WHEN q.paused THEN 0
               ELSE greatest(0, least(
                   %(limit)s,
                   coalesce(q.concurrency_limit - (
                       SELECT count(*) FROM conveyor.jobs r
                       WHERE r.queue = %(queue)s AND r.state = 'running'), %(limit)s),
                   CASE WHEN q.rate_limit IS NULL THEN %(limit)s  -- (greatest/least skip NULLs)
                        ELSE floor(least(greatest(q.rate_limit, 1),
                            q.tokens + extract(epoch FROM now() - q.tokens_at) * q.rate_limit)) END))
           END AS n
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN conveyor.queues q ON q.name = %(queue)s
),
picked AS (
    SELECT id FROM conveyor.jobs
    WHERE state IN ('queued', 'scheduled', 'retrying') AND queue = %(queue)s AND run_at <= now()
    ORDER BY priority DESC, run_at, id
    LIMIT (SELECT n FROM capacity)
    FOR UPDATE SKIP LOCKED
)
UPDATE conveyor.jobs j
SET state = 'running',
    attempts = j.attempts + 1,
    worker_id = %(worker_id)s,
    started_at = now(),
    lease_expires_at = now() + make_interval(secs => %(lease_seconds)s)
FROM picked
WHERE j.id = picked.id
RETURNING j.id, j.queue, j.type, j.payload, j.priority, j.attempts, j.max_attempts,
          j.timeout_seconds, j.trace_context, j.run_at, j.started_at, j.created_at;

-- name: spend_queue_tokens
-- After a claim on a rate-limited queue (same transaction): refill, then spend what was claimed.
UPDATE conveyor.queues
SET tokens = least(greatest(rate_limit, 1), tokens + extract(epoch FROM now() - tokens_at) * rate_limit)
             - %(claimed)s,
    tokens_at = now()
WHERE name = %(queue)s AND rate_limit IS NOT NULL;

-- name: heartbeat
-- Extend the leases this worker still holds; ids missing from the result were lost
-- (rescued after expiry, or cancelled) and must stop.
UPDATE conveyor.jobs
SET lease_expires_at = now() + make_interval(secs => %(lease_seconds)s)
WHERE id = ANY(%(ids)s::bigint[]) AND state = 'running' AND worker_id = %(worker_id)s
RETURNING id, cancel_requested;

-- name: complete
-- Record a batch of attempt outcomes in one statement. A row whose lease this worker no
-- longer holds (rescued, re-run elsewhere) is left alone: at-least-once, never a lost update.
-- A cancel requested while the job ran turns any outcome but success into 'cancelled'.
UPDATE conveyor.jobs j
SET state = CASE WHEN j.cancel_requested AND c.state <> 'succeeded' THEN 'cancelled'
                 ELSE c.state END,
    result = c.result,
    last_error = coalesce(c.error, j.last_error),
    finished_at = CASE WHEN c.state = 'retrying' AND NOT j.cancel_requested THEN NULL
                       ELSE now() END,
    run_at = CASE WHEN c.state = 'retrying' THEN now() + make_interval(secs => c.retry_in)
                  ELSE j.run_at END,
    worker_id = NULL,
    lease_expires_at = NULL
FROM unnest(%(ids)s::bigint[], %(attempts)s::int[], %(states)s::text[], %(results)s::jsonb[],
            %(errors)s::jsonb[], %(retry_in)s::float8[])
     AS c(id, attempt, state, result, error, retry_in)
WHERE j.id = c.id AND j.state = 'running' AND j.attempts = c.attempt
  AND j.worker_id = %(worker_id)s
RETURNING j.id, j.state;

-- name: release
-- Give jobs back on shutdown: queued again at once, and the interrupted attempt is not
-- counted against max_attempts (the worker stopped, the job did not fail).
WITH released AS (
    UPDATE conveyor.jobs
    SET state = 'queued', attempts = attempts - 1, worker_id = NULL, lease_expires_at = NULL,
        started_at = NULL, run_at = now()
    WHERE id = ANY(%(ids)s::bigint[]) AND state = 'running' AND worker_id = %(worker_id)s
    RETURNING id, queue
),
woken AS (
    SELECT pg_notify('conveyor_jobs', queue) FROM (SELECT DISTINCT queue FROM released) AS q
    WHERE %(notify)s
)
SELECT released.id FROM released CROSS JOIN (SELECT count(*) FROM woken) AS w;

-- name: cancel
-- Cancel at once unless running; a running job gets cancel_requested, which its worker sees
-- at the next heartbeat and passes to the handler.
UPDATE conveyor.jobs
SET state = CASE WHEN state = 'running' THEN state ELSE 'cancelled' END,
    finished_at = CASE WHEN state = 'running' THEN finished_at ELSE now() END,
    cancel_requested = true
WHERE id = %(id)s AND state IN ('scheduled', 'queued', 'retrying', 'running')
RETURNING *;

-- name: retry
-- Run a job again now: a dead or cancelled job starts over with fresh attempts; a waiting
-- job (scheduled, retrying) skips its wait.
WITH retried AS (
    UPDATE conveyor.jobs
    SET state = 'queued', run_at = now(),
        attempts = CASE WHEN state IN ('dead', 'cancelled') THEN 0 ELSE attempts END,
        finished_at = NULL, result = NULL, cancel_requested = false
    WHERE id = %(id)s AND state IN ('dead', 'cancelled', 'scheduled', 'retrying')
    RETURNING *
),
woken AS (SELECT pg_notify('conveyor_jobs', queue) FROM retried WHERE %(notify)s)
SELECT retried.* FROM retried CROSS JOIN (SELECT count(*) FROM woken) AS w;

-- name: replay_dead
-- Replay dead-lettered jobs in bulk, optionally filtered by queue and type.
WITH picked AS (
    SELECT id FROM conveyor.jobs
    WHERE state = 'dead'
      AND (%(queue)s::text IS NULL OR queue = %(queue)s)
      AND (%(type)s::text IS NULL OR type = %(type)s)
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
),
replayed AS (
    UPDATE conveyor.jobs j
    SET state = 'queued', run_at = now(), attempts = 0, finished_at = NULL, result = NULL,
        cancel_requested = false
    FROM picked WHERE j.id = picked.id
    RETURNING j.id, j.queue
),
woken AS (
    SELECT pg_notify('conveyor_jobs', queue) FROM (SELECT DISTINCT queue FROM replayed) AS q
    WHERE %(notify)s
)
SELECT replayed.id FROM replayed CROSS JOIN (SELECT count(*) FROM woken) AS w;

-- name: list_jobs
-- Newest first, keyset pagination on id.
SELECT * FROM conveyor.jobs
WHERE (%(state)s::text IS NULL OR state = %(state)s)
  AND (%(queue)s::text IS NULL OR queue = %(queue)s)
  AND (%(type)s::text IS NULL OR type = %(type)s)
  AND (%(before_id)s::bigint IS NULL OR id < %(before_id)s)
  AND (%(created_after)s::timestamptz IS NULL OR created_at >= %(created_after)s)
  AND (%(created_before)s::timestamptz IS NULL OR created_at < %(created_before)s)
ORDER BY id DESC
LIMIT %(limit)s;

-- name: delete_finished_job
DELETE FROM conveyor.jobs WHERE id = %(id)s AND state IN ('succeeded', 'dead', 'cancelled')
RETURNING id;

-- name: purge_dead
-- Delete dead-lettered jobs (and their events) matching the filters.
WITH gone AS (
    DELETE FROM conveyor.jobs
    WHERE state = 'dead'
      AND (%(queue)s::text IS NULL OR queue = %(queue)s)
      AND (%(type)s::text IS NULL OR type = %(type)s)
      AND (%(finished_before)s::timestamptz IS NULL OR finished_at < %(finished_before)s)
    RETURNING id
),
gone_events AS (DELETE FROM conveyor.job_events e USING gone WHERE e.job_id = gone.id RETURNING 1)
SELECT (SELECT count(*) FROM gone) AS jobs;
