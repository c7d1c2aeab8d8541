-- name: lock_due_schedules
-- Inside the firing transaction: the schedules due at %(now)s that no other scheduler
-- replica is firing right now.
SELECT * FROM conveyor.schedules
WHERE enabled AND next_fire_at <= %(now)s
ORDER BY next_fire_at
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED;

-- name: advance_schedule
UPDATE conveyor.schedules
SET next_fire_at = %(next_fire_at)s,
    last_fire_at = coalesce(%(last_fire_at)s, last_fire_at)
WHERE id = %(id)s;

-- name: insert_schedule
INSERT INTO conveyor.schedules (name, cron, timezone, job, enabled, misfire_policy, max_catch_up,
                                next_fire_at, created_by)
VALUES (%(name)s, %(cron)s, %(timezone)s, %(job)s, %(enabled)s, %(misfire_policy)s,
        %(max_catch_up)s, %(next_fire_at)s, %(created_by)s)
ON CONFLICT (name) DO NOTHING
RETURNING *;

-- name: get_schedule
SELECT * FROM conveyor.schedules WHERE id = %(id)s;

-- name: list_schedules
SELECT * FROM conveyor.schedules
WHERE (%(after_id)s::bigint IS NULL OR id > %(after_id)s)
ORDER BY id
LIMIT %(limit)s;

-- name: delete_schedule
DELETE FROM conveyor.schedules WHERE id = %(id)s RETURNING id;

-- name: update_schedule
UPDATE conveyor.schedules
SET name = %(name)s, cron = %(cron)s, timezone = %(timezone)s, job = %(job)s, enabled = %(enabled)s,
    misfire_policy = %(misfire_policy)s, max_catch_up = %(max_catch_up)s,
    next_fire_at = %(next_fire_at)s, updated_at = now()
WHERE id = %(id)s
RETURNING *;

-- name: lock_user_for_schedules
-- Serialises one user's schedule creations, so that counting then inserting stays within the
-- limit however many requests race (NO KEY UPDATE: foreign-key checks are not blocked).
SELECT id FROM conveyor.users WHERE id = %(user_id)s FOR NO KEY UPDATE;

-- name: count_user_schedules
SELECT count(*) AS schedules FROM conveyor.schedules WHERE created_by = %(user_id)s;
