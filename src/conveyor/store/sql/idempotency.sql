-- name: reserve_idempotency_key
-- Claim the key for this request; returns nothing if the key is already taken.
INSERT INTO conveyor.idempotent_requests (user_id, key, route, request_hash)
VALUES (%(user_id)s, %(key)s, %(route)s, %(request_hash)s)
ON CONFLICT (user_id, key) DO NOTHING
RETURNING key;

-- name: get_idempotent_request
SELECT * FROM conveyor.idempotent_requests WHERE user_id = %(user_id)s AND key = %(key)s;

-- name: store_idempotent_result
-- What the request created (ids), never its response: a response may hold a secret.
UPDATE conveyor.idempotent_requests
SET status = %(status)s, created = %(created)s, location = %(location)s
WHERE user_id = %(user_id)s AND key = %(key)s;

-- name: release_idempotency_key
-- The request failed (4xx/5xx): nothing was created, so the key may be used again.
DELETE FROM conveyor.idempotent_requests WHERE user_id = %(user_id)s AND key = %(key)s AND status IS NULL;

-- name: delete_old_idempotent_requests
DELETE FROM conveyor.idempotent_requests WHERE created_at < now() - make_interval(secs => %(seconds)s);
