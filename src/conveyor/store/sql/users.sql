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

-- name: get_user
SELECT id, email, name, role, disabled, created_at FROM conveyor.users WHERE id = %(id)s;

-- name: list_users
SELECT id, email, name, role, disabled, created_at FROM conveyor.users
WHERE (%(after_id)s::bigint IS NULL OR id > %(after_id)s)
ORDER BY id LIMIT %(limit)s;

-- name: update_user
UPDATE conveyor.users
SET name = CASE WHEN %(set_name)s THEN %(name)s ELSE name END,
    role = coalesce(%(role)s, role),
    disabled = coalesce(%(disabled)s, disabled),
    password_hash = CASE WHEN %(set_password)s THEN %(password_hash)s ELSE password_hash END
WHERE id = %(id)s
RETURNING id, email, name, role, disabled, created_at;

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

-- name: record_audit
INSERT INTO conveyor.audit_log (user_id, key_id, action, route, params, status, ip, request_id)
VALUES (%(user_id)s, %(key_id)s, %(action)s, %(route)s, %(params)s, %(status)s, %(ip)s, %(request_id)s);

-- name: list_audit
SELECT * FROM conveyor.audit_log
WHERE (%(before_id)s::bigint IS NULL OR id < %(before_id)s)
  AND (%(user_id)s::bigint IS NULL OR user_id = %(user_id)s)
ORDER BY id DESC LIMIT %(limit)s;

-- name: create_session
INSERT INTO conveyor.sessions (id_hash, user_id, csrf_token, expires_at, ip, user_agent)
VALUES (%(id_hash)s, %(user_id)s, %(csrf_token)s, now() + make_interval(secs => %(ttl_seconds)s), %(ip)s,
        %(user_agent)s)
RETURNING expires_at;

-- name: authenticate_session
SELECT u.id AS user_id, u.email, u.role, s.csrf_token, s.expires_at
FROM conveyor.sessions s JOIN conveyor.users u ON u.id = s.user_id
WHERE s.id_hash = %(id_hash)s AND s.expires_at > now() AND NOT u.disabled;

-- name: delete_session
DELETE FROM conveyor.sessions WHERE id_hash = %(id_hash)s;

-- name: delete_expired_sessions
DELETE FROM conveyor.sessions WHERE expires_at < now();

-- name: start_oidc_login
INSERT INTO conveyor.oidc_logins (state, nonce, code_verifier, next_path, expires_at)
VALUES (%(state)s, %(nonce)s, %(code_verifier)s, %(next_path)s, now() + interval '10 minutes');

-- name: finish_oidc_login
-- Single use: the row is consumed whether or not the rest of the sign-in succeeds.
DELETE FROM conveyor.oidc_logins WHERE state = %(state)s AND expires_at > now()
RETURNING nonce, code_verifier, next_path;

-- name: delete_expired_oidc_logins
DELETE FROM conveyor.oidc_logins WHERE expires_at < now();

-- name: lock_user_for_keys
-- Serialises one user's key creations, so that counting then inserting stays within the limit
-- however many requests race (NO KEY UPDATE: foreign-key checks are not blocked).
SELECT id FROM conveyor.users WHERE id = %(user_id)s FOR NO KEY UPDATE;

-- name: count_live_api_keys
SELECT count(*) AS keys FROM conveyor.api_keys
WHERE user_id = %(user_id)s AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now());
