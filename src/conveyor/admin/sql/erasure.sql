-- name: users_matching_email
-- Emails are unique as written, but "Bob@example.com" and "bob@example.com" may both exist:
-- an erasure request names a person, so every case-insensitive match is a candidate.
SELECT id, email, role, disabled, erased_at FROM conveyor.users
WHERE lower(email) = lower(%(email)s)
ORDER BY id;

-- name: user_for_erasure
SELECT id, email, role, disabled, erased_at FROM conveyor.users WHERE id = %(id)s FOR UPDATE;

-- name: lock_admins
-- Serialises erasures against each other, so that two at once cannot remove the last two admins.
SELECT id FROM conveyor.users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE;

-- name: pseudonymise_user
-- The row stays (its id is the pseudonym the audit log refers to); what identifies the person goes.
UPDATE conveyor.users
SET email = 'erased-user-' || id || '@erased.invalid', name = NULL, password_hash = NULL,
    disabled = true, erased_at = now()
WHERE id = %(id)s;

-- name: revoke_and_rename_user_keys
-- Keys are kept (revoked) so that audit entries naming a key_id still resolve; their names are
-- free text a person chose ("Bob's laptop") and go.
WITH changed AS (
    UPDATE conveyor.api_keys SET revoked_at = coalesce(revoked_at, now()), name = 'erased'
    WHERE user_id = %(id)s RETURNING id
)
SELECT count(*) AS keys FROM changed;

-- name: delete_user_sessions
WITH gone AS (DELETE FROM conveyor.sessions WHERE user_id = %(id)s RETURNING 1)
SELECT count(*) AS sessions FROM gone;

-- name: forget_user_addresses
-- The audit entries stay (who did what, when, by pseudonym); the client addresses go.
WITH changed AS (
    UPDATE conveyor.audit_log SET ip = NULL WHERE user_id = %(id)s AND ip IS NOT NULL RETURNING 1
)
SELECT count(*) AS addresses FROM changed;

-- name: records_created_by_user
-- What the user created that the erasure leaves in place: job payloads are the operator's data
-- (data-protection.md), removed by job retention or by the operator.
SELECT (SELECT count(*) FROM conveyor.jobs WHERE created_by = %(id)s) AS jobs,
       (SELECT count(*) FROM conveyor.schedules WHERE created_by = %(id)s) AS schedules,
       (SELECT count(*) FROM conveyor.webhook_endpoints WHERE created_by = %(id)s) AS webhooks;
