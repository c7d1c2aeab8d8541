-- Revision 0004: console sessions. Backward compatible (a new table).
CREATE TABLE conveyor.sessions (
    id_hash    bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES conveyor.users (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ip         text,
    user_agent text
);
CREATE INDEX sessions_expires_idx ON conveyor.sessions (expires_at);
