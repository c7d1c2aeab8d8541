-- Revision 0002: the audit log. Backward compatible (a new table only).
CREATE TABLE conveyor.audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     bigint,
    key_id      bigint,
    action      text NOT NULL,
    route       text NOT NULL,
    params      jsonb NOT NULL DEFAULT '{}'::jsonb,
    status      integer NOT NULL,
    ip          text,
    request_id  text
);
CREATE INDEX audit_log_at_idx ON conveyor.audit_log USING brin (at);
CREATE INDEX audit_log_user_idx ON conveyor.audit_log (user_id, id);

-- A digest of the submitted job, so that reusing an idempotency key with a different body
-- is refused instead of silently returning the first job.
ALTER TABLE conveyor.jobs ADD COLUMN request_fingerprint text;
