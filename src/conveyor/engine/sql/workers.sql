-- name: worker_seen
-- A worker's periodic announcement: its queues, slots and busy slots. Also forgets workers
-- silent for an hour (stopped without saying so: killed, or their host gone).
WITH forgotten AS (
    DELETE FROM conveyor.workers WHERE seen_at < now() - interval '1 hour' AND id <> %(id)s
)
INSERT INTO conveyor.workers (id, queues, concurrency, busy)
VALUES (%(id)s, %(queues)s, %(concurrency)s, %(busy)s)
ON CONFLICT (id) DO UPDATE
SET queues = EXCLUDED.queues, concurrency = EXCLUDED.concurrency, busy = EXCLUDED.busy,
    seen_at = now();

-- name: worker_gone
-- A worker stopping cleanly takes itself off the list.
DELETE FROM conveyor.workers WHERE id = %(id)s;

-- name: live_workers
-- Workers heard from within %(within_seconds)s seconds, oldest first.
SELECT id, queues, concurrency, busy, started_at, seen_at
FROM conveyor.workers
WHERE seen_at > now() - make_interval(secs => %(within_seconds)s)
ORDER BY started_at, id;
