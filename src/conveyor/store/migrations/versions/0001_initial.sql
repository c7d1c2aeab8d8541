-- Conveyor schema, revision 0001. Applied by Alembic (migrations/versions/0001_initial.py).
-- Everything lives in the "conveyor" schema so it can share a database with an application.

CREATE SCHEMA IF NOT EXISTS conveyor;

CREATE TABLE conveyor.queues (
    name              text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'),
    paused            boolean NOT NULL DEFAULT false,
    concurrency_limit integer CHECK (concurrency_limit > 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The hot table. Finished rows stay (for reads and analytics) until retention removes them;
-- every index the claim path uses is partial on the unfinished states, so finished rows do not
-- make claims slower. fillfactor leaves room for HOT updates of heartbeats.
CREATE TABLE conveyor.jobs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue            text NOT NULL CHECK (queue ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'),
    type             text NOT NULL CHECK (length(type) BETWEEN 1 AND 128),
    payload          jsonb NOT NULL DEFAULT '{}'::jsonb,
    state            text NOT NULL CHECK (state IN
                       ('scheduled', 'queued', 'running', 'retrying', 'succeeded', 'dead', 'cancelled')),
    priority         smallint NOT NULL DEFAULT 0,
    run_at           timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
    timeout_seconds  double precision NOT NULL CHECK (timeout_seconds > 0),
    idempotency_key  text,
    schedule_id      bigint,
    scheduled_for    timestamptz,
    worker_id        text,
    lease_expires_at timestamptz,
    cancel_requested boolean NOT NULL DEFAULT false,
    result           jsonb,
    last_error       jsonb,
    trace_context    jsonb,
    created_by       bigint,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz
) WITH (fillfactor = 85);

CREATE INDEX jobs_ready_idx ON conveyor.jobs (queue, priority DESC, run_at, id)
    WHERE state IN ('queued', 'scheduled', 'retrying');
CREATE INDEX jobs_running_idx ON conveyor.jobs (queue) WHERE state = 'running';
CREATE INDEX jobs_pending_due_idx ON conveyor.jobs (run_at) WHERE state IN ('scheduled', 'retrying');
CREATE INDEX jobs_finished_idx ON conveyor.jobs (finished_at)
    WHERE state IN ('succeeded', 'dead', 'cancelled');
CREATE INDEX jobs_state_id_idx ON conveyor.jobs (state, id);
CREATE UNIQUE INDEX jobs_idempotency_key_idx ON conveyor.jobs (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX jobs_schedule_fire_idx ON conveyor.jobs (schedule_id, scheduled_for)
    WHERE schedule_id IS NOT NULL;

-- One row per state change, written by statement-level triggers so that no code path can
-- change a job's state without leaving a record, and batches cost one insert per statement.
CREATE TABLE conveyor.job_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id       bigint NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    from_state   text,
    to_state     text NOT NULL,
    attempt      integer NOT NULL,
    queue        text NOT NULL,
    type         text NOT NULL,
    worker_id    text,
    error        jsonb,
    wait_seconds double precision,
    run_seconds  double precision
);
CREATE INDEX job_events_job_idx ON conveyor.job_events (job_id, id);
CREATE INDEX job_events_at_idx ON conveyor.job_events USING brin (at);

CREATE FUNCTION conveyor.record_job_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conveyor.job_events (job_id, from_state, to_state, attempt, queue, type)
    SELECT n.id, NULL, n.state, n.attempts, n.queue, n.type FROM new_rows n;
    RETURN NULL;
END $$;

CREATE FUNCTION conveyor.record_job_transitions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conveyor.job_events
        (job_id, from_state, to_state, attempt, queue, type, worker_id, error,
         wait_seconds, run_seconds)
    SELECT n.id, o.state, n.state, n.attempts, n.queue, n.type,
           coalesce(n.worker_id, o.worker_id),
           CASE WHEN n.last_error IS DISTINCT FROM o.last_error THEN n.last_error END,
           CASE WHEN n.state = 'running'
                THEN greatest(extract(epoch FROM n.started_at - o.run_at), 0) END,
           CASE WHEN o.state = 'running' AND n.state <> 'running'
                THEN extract(epoch FROM coalesce(n.finished_at, now()) - o.started_at) END
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.state IS DISTINCT FROM o.state;
    RETURN NULL;
END $$;

CREATE TRIGGER jobs_insert_events AFTER INSERT ON conveyor.jobs
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION conveyor.record_job_inserts();
CREATE TRIGGER jobs_update_events AFTER UPDATE ON conveyor.jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION conveyor.record_job_transitions();

CREATE TABLE conveyor.schedules (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    cron           text NOT NULL,
    timezone       text NOT NULL DEFAULT 'UTC',
    job            jsonb NOT NULL,
    enabled        boolean NOT NULL DEFAULT true,
    misfire_policy text NOT NULL DEFAULT 'skip' CHECK (misfire_policy IN ('skip', 'catch_up')),
    max_catch_up   integer NOT NULL DEFAULT 1 CHECK (max_catch_up BETWEEN 1 AND 1000),
    next_fire_at   timestamptz,
    last_fire_at   timestamptz,
    created_by     bigint,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_due_idx ON conveyor.schedules (next_fire_at) WHERE enabled;

CREATE TABLE conveyor.users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    name          text,
    role          text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    password_hash text,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- API keys: the secret is random (256 bits), so a fast SHA-256 digest is safe to store;
-- the prefix is shown in listings so a leaked key can be identified.
CREATE TABLE conveyor.api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES conveyor.users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL UNIQUE,
    secret_hash  bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Leadership for maintenance work: a lease row, so it also works behind transaction poolers.
CREATE TABLE conveyor.leaders (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);
