-- name: record_audit
INSERT INTO conveyor.audit_log (user_id, key_id, action, route, params, status, ip, request_id)
VALUES (%(user_id)s, %(key_id)s, %(action)s, %(route)s, %(params)s, %(status)s, %(ip)s, %(request_id)s);

-- name: list_audit
SELECT * FROM conveyor.audit_log
WHERE (%(before_id)s::bigint IS NULL OR id < %(before_id)s)
  AND (%(user_id)s::bigint IS NULL OR user_id = %(user_id)s)
ORDER BY id DESC LIMIT %(limit)s;
