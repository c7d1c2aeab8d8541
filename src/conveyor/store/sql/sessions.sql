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
