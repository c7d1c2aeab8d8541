-- name: audit_range
-- One page of the audit log between two instants (since inclusive, until exclusive), in the
-- order it was written (id), keyset-paginated so that any size exports in bounded memory.
SELECT id, at, user_id, key_id, action, route, params, status, ip, request_id
FROM conveyor.audit_log
WHERE at >= %(since)s AND at < %(until)s AND id > %(after_id)s
ORDER BY id
LIMIT %(limit)s;

-- name: delete_old_audit
-- Retention (CONVEYOR_RETENTION_AUDIT): delete entries older than the retention, in batches.
WITH old AS (
    SELECT id FROM conveyor.audit_log
    WHERE at < now() - make_interval(secs => %(older_than_seconds)s)
    ORDER BY id
    LIMIT %(limit)s
)
DELETE FROM conveyor.audit_log a USING old WHERE a.id = old.id;

-- name: record_admin_action
-- What an operator did on the command line, in the same audit log as the API's changes
-- (no user or key: the command runs with database credentials, not as a Conveyor user).
INSERT INTO conveyor.audit_log (user_id, key_id, action, route, params, status, ip, request_id)
VALUES (NULL, NULL, %(action)s, 'cli', %(params)s, 0, NULL, NULL);
