-- name: create_api_key
INSERT INTO conveyor.api_keys (user_id, name, prefix, secret_hash, expires_at)
VALUES (%(user_id)s, %(name)s, %(prefix)s, %(secret_hash)s, %(expires_at)s)
RETURNING id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at;

-- name: authenticate_key
-- The key's user, if the key is live: not revoked, not expired, user not disabled.
-- last_used_at is written at most once a minute per key, so reads do not all become writes.
WITH key AS (
    SELECT k.id, k.user_id, k.last_used_at FROM conveyor.api_keys k
    WHERE k.secret_hash = %(secret_hash)s
      AND k.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > now())
),
touched AS (
    UPDATE conveyor.api_keys k SET last_used_at = now()
    FROM key
    WHERE k.id = key.id AND (key.last_used_at IS NULL OR key.last_used_at < now() - interval '1 minute')
    RETURNING k.id
)
SELECT u.id AS user_id, u.email, u.role, key.id AS key_id
FROM key JOIN conveyor.users u ON u.id = key.user_id
LEFT JOIN (SELECT count(*) FROM touched) AS t ON true
WHERE NOT u.disabled;

-- name: list_api_keys
SELECT id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at
FROM conveyor.api_keys WHERE user_id = %(user_id)s ORDER BY id;

-- name: revoke_api_key
UPDATE conveyor.api_keys SET revoked_at = coalesce(revoked_at, now())
WHERE id = %(id)s AND user_id = %(user_id)s
RETURNING id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at;

-- name: get_api_key
SELECT id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at
FROM conveyor.api_keys WHERE id = %(id)s AND user_id = %(user_id)s;

-- name: lock_user_for_keys
-- Serialises one user's key creations, so that counting then inserting stays within the limit
-- however many requests race (NO KEY UPDATE: foreign-key checks are not blocked).
SELECT id FROM conveyor.users WHERE id = %(user_id)s FOR NO KEY UPDATE;

-- name: count_live_api_keys
SELECT count(*) AS keys FROM conveyor.api_keys
WHERE user_id = %(user_id)s AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now());
