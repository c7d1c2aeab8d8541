-- name: create_webhook
INSERT INTO conveyor.webhook_endpoints (url, description, events, secret, enabled, created_by)
VALUES (%(url)s, %(description)s, %(events)s, %(secret)s, %(enabled)s, %(created_by)s)
RETURNING *;

-- name: get_webhook
SELECT * FROM conveyor.webhook_endpoints WHERE id = %(id)s;

-- name: list_webhooks
SELECT * FROM conveyor.webhook_endpoints ORDER BY id;

-- name: update_webhook
UPDATE conveyor.webhook_endpoints
SET url = coalesce(%(url)s, url),
    description = CASE WHEN %(set_description)s THEN %(description)s ELSE description END,
    events = coalesce(%(events)s, events),
    enabled = coalesce(%(enabled)s, enabled),
    updated_at = now()
WHERE id = %(id)s
RETURNING *;

-- name: delete_webhook
DELETE FROM conveyor.webhook_endpoints WHERE id = %(id)s RETURNING id;

-- name: rotate_webhook_secret
-- The old secret keeps signing (as a second signature) until the grace period ends.
UPDATE conveyor.webhook_endpoints
SET previous_secret = secret,
    previous_expires_at = now() + make_interval(secs => %(grace_seconds)s),
    secret = %(secret)s,
    updated_at = now()
WHERE id = %(id)s
RETURNING *;

-- name: webhook_deliveries
SELECT * FROM conveyor.jobs
WHERE type = 'webhook' AND (payload ->> 'endpoint_id')::bigint = %(endpoint_id)s
  AND (%(before_id)s::bigint IS NULL OR id < %(before_id)s)
ORDER BY id DESC LIMIT %(limit)s;

-- name: enqueue_test_delivery
WITH delivery AS (
    INSERT INTO conveyor.jobs (queue, type, payload, state, max_attempts, timeout_seconds)
    VALUES ('conveyor.webhooks', 'webhook',
            jsonb_build_object('endpoint_id', %(endpoint_id)s::bigint,
                               'event_id', 'evt_test_' || md5(random()::text),
                               'event_type', 'webhook.test', 'timestamp', now(),
                               'data', jsonb_build_object('message', 'test delivery from Conveyor')),
            'queued', 1, 30)
    RETURNING *
),
woken AS (SELECT pg_notify('conveyor_jobs', 'conveyor.webhooks'))
SELECT delivery.* FROM delivery CROSS JOIN woken;
