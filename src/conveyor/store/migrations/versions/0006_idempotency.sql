-- Revision 0006: stored responses of POST requests made with an Idempotency-Key (other than job
-- submission, whose key lives on the job). Backward compatible (a new table).
CREATE TABLE conveyor.idempotent_requests (
    user_id       bigint NOT NULL,
    key           text NOT NULL,
    route         text NOT NULL,
    request_hash  text NOT NULL,
    status        integer,          -- NULL while the first request is still being handled
    response_body bytea,
    location      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotent_requests_created_idx ON conveyor.idempotent_requests (created_at);
