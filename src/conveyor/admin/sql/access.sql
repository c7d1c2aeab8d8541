-- name: review_users
-- Every user, with the last console sign-in and the last use of any of their API keys.
SELECT u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.last_sign_in_at, u.erased_at,
       (SELECT max(k.last_used_at) FROM conveyor.api_keys k WHERE k.user_id = u.id) AS last_key_use_at
FROM conveyor.users u
ORDER BY u.id;

-- name: review_api_keys
-- Every API key, revoked and expired ones included (a review shows what was cut off, too).
SELECT k.id, k.prefix, k.name, k.user_id, u.email AS owner_email, u.role AS owner_role,
       k.created_at, k.last_used_at, k.expires_at, k.revoked_at,
       CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
            WHEN k.expires_at IS NOT NULL AND k.expires_at <= now() THEN 'expired'
            WHEN u.disabled THEN 'owner-disabled'
            ELSE 'live' END AS status
FROM conveyor.api_keys k JOIN conveyor.users u ON u.id = k.user_id
ORDER BY k.id;

-- name: review_sessions
-- Console sessions that are still valid.
SELECT s.user_id, u.email, u.role, s.created_at, s.expires_at, s.ip, s.user_agent
FROM conveyor.sessions s JOIN conveyor.users u ON u.id = s.user_id
WHERE s.expires_at > now()
ORDER BY s.created_at;

-- name: database_now
SELECT now() AS now;

-- name: read_only_snapshot
-- First in the review's transaction: every query after it reads the same snapshot.
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY;
