-- name: api_key_by_prefix
SELECT k.id, k.user_id, k.name, k.prefix, k.created_at, k.expires_at, k.last_used_at, k.revoked_at,
       u.email AS owner_email
FROM conveyor.api_keys k JOIN conveyor.users u ON u.id = k.user_id
WHERE k.prefix = %(prefix)s
FOR UPDATE OF k;

-- name: expire_key_after_overlap
-- The old key keeps working for the overlap (never longer than it would have anyway).
UPDATE conveyor.api_keys
SET expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => %(overlap_seconds)s))
WHERE id = %(id)s
RETURNING expires_at;

-- name: revoke_key_now
UPDATE conveyor.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = %(id)s
RETURNING revoked_at;

-- name: end_sessions
-- Signs users out of the console: one user's sessions, or everyone's.
WITH gone AS (
    DELETE FROM conveyor.sessions WHERE %(user_id)s::bigint IS NULL OR user_id = %(user_id)s RETURNING 1
)
SELECT count(*) AS sessions FROM gone;

-- name: user_by_email_exact
SELECT id, email, role FROM conveyor.users WHERE email = %(email)s;
