-- name: seed_state_of_database
-- What is there before seeding: a production database with any of it is refused unless forced.
SELECT (SELECT count(*) FROM conveyor.jobs) AS jobs,
       (SELECT count(*) FROM conveyor.users) AS users,
       (SELECT count(*) FROM conveyor.jobs WHERE idempotency_key LIKE 'seed-%%') AS seeded_jobs;

-- name: seed_start
-- Claim seeded jobs as a worker would: running, one more attempt, started after their wait.
UPDATE conveyor.jobs
SET state = 'running', attempts = attempts + 1, worker_id = 'seed-worker',
    started_at = run_at + make_interval(secs => 0.05 + random() * %(max_wait_seconds)s),
    lease_expires_at = now() + interval '30 seconds'
WHERE id = ANY(%(ids)s) AND state IN ('queued', 'retrying');

-- name: seed_finish
-- End running seeded jobs in ``state`` after a plausible run time; retrying ones are due again later.
UPDATE conveyor.jobs
SET state = %(state)s,
    finished_at = CASE WHEN %(state)s IN ('succeeded', 'dead', 'cancelled')
                       THEN started_at + make_interval(secs => 0.01 + random() * %(max_run_seconds)s) END,
    run_at = CASE WHEN %(state)s = 'retrying' THEN now() + make_interval(secs => 60 + random() * 600)
                  ELSE run_at END,
    worker_id = NULL, lease_expires_at = NULL,
    result = CASE WHEN %(state)s = 'succeeded' THEN jsonb_build_object('ok', true) END,
    -- Dead at once on a permanent refusal (4xx); retrying after a transient one (5xx).
    last_error = CASE %(state)s
                     WHEN 'dead' THEN jsonb_build_object('kind', 'http_status',
                         'message', 'POST https://example.com/hooks/orders answered 404')
                     WHEN 'retrying' THEN jsonb_build_object('kind', 'http_status',
                         'message', 'POST https://example.com/hooks/orders answered 503')
                 END,
    cancel_requested = (%(state)s = 'cancelled')
WHERE id = ANY(%(ids)s) AND state = 'running';

-- name: seed_backdate
-- Move seeded jobs' history to when it would have happened: creation at run_at, each event at
-- the moment its transition took (the triggers stamped them with the seeding time).
WITH seeded AS (
    UPDATE conveyor.jobs SET created_at = least(run_at, now())
    WHERE id = ANY(%(ids)s)
    RETURNING id, created_at, started_at, finished_at
)
UPDATE conveyor.job_events e
SET at = CASE
        WHEN e.from_state IS NULL THEN s.created_at
        WHEN e.to_state = 'running' THEN coalesce(s.started_at, s.created_at)
        ELSE coalesce(s.finished_at, s.started_at, s.created_at)
    END
FROM seeded s
WHERE e.job_id = s.id;

-- name: seed_schedule_exists
SELECT EXISTS (SELECT 1 FROM conveyor.schedules WHERE name = %(name)s) AS exists;

-- name: seed_webhook_exists
SELECT EXISTS (SELECT 1 FROM conveyor.webhook_endpoints WHERE description = %(description)s) AS exists;

-- name: seed_finished_history
-- Volume: ``rows`` succeeded no-op jobs that finished an hour ago (the insert trigger adds their
-- events), payload ``{"order": n}`` when ``numbered`` else ``{}``. One statement: a million rows
-- in seconds.
INSERT INTO conveyor.jobs (queue, type, payload, state, max_attempts, timeout_seconds, attempts,
                           started_at, finished_at, result)
SELECT 'default', 'noop', CASE WHEN %(numbered)s THEN jsonb_build_object('order', g) ELSE '{}' END,
       'succeeded', 5, 300, 1, now() - interval '1 hour', now() - interval '1 hour', 'null'
FROM generate_series(1, %(rows)s) AS g;

-- name: seed_vacuum_history
-- After bulk history: visibility map and statistics current, so no autovacuum or autoanalyze
-- starts in the middle of what reads the tables next. Outside a transaction (autocommit).
VACUUM ANALYZE conveyor.jobs, conveyor.job_events;
