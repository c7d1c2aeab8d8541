-- name: create_user
INSERT INTO conveyor.users (email, name, role, password_hash)
VALUES (%(email)s, %(name)s, %(role)s, %(password_hash)s)
ON CONFLICT (email) DO NOTHING
RETURNING *;

-- name: user_by_email
SELECT * FROM conveyor.users WHERE email = %(email)s;

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
