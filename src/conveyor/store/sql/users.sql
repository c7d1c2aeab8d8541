-- name: create_user
INSERT INTO conveyor.users (email, name, role, password_hash)
VALUES (%(email)s, %(name)s, %(role)s, %(password_hash)s)
ON CONFLICT (email) DO NOTHING
RETURNING *;

-- name: user_by_email
SELECT * FROM conveyor.users WHERE email = %(email)s;

-- name: create_api_key
INSERT INTO conveyor.api_keys (user_id, name, prefix, secret_hash, expires_at)
VALUES (%(user_id)s, %(name)s, %(prefix)s, %(secret_hash)s, %(expires_at)s)
RETURNING id, user_id, name, prefix, created_at, expires_at;

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
