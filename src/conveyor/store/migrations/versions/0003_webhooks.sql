-- Revision 0003: webhook endpoints, and their deliveries as jobs on the internal queue.
-- Backward compatible (new table, new trigger, new index).

CREATE TABLE conveyor.webhook_endpoints (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url                 text NOT NULL,
    description         text,
    events              text[] NOT NULL,
    secret              text NOT NULL,
    previous_secret     text,
    previous_expires_at timestamptz,
    enabled             boolean NOT NULL DEFAULT true,
    created_by          bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Deliveries are ordinary jobs (type 'webhook', queue 'conveyor.webhooks'): retries, backoff,
-- dead-letter and replay come for free, and the jobs are the delivery log.
CREATE INDEX jobs_webhook_endpoint_idx ON conveyor.jobs (((payload ->> 'endpoint_id')::bigint), id)
    WHERE type = 'webhook';

-- Fan-out in the same transaction as the state change, so no event is ever missed. Events of
-- the webhook queue itself are not delivered (no webhooks about webhooks, no recursion).
CREATE FUNCTION conveyor.enqueue_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delivered integer;
BEGIN
    -- Statement triggers fire for empty statements too: stop at once when there is nothing to
    -- deliver, or the chain jobs -> events -> (no) deliveries would recurse without end.
    IF NOT EXISTS (SELECT 1 FROM new_events WHERE queue <> 'conveyor.webhooks')
       OR NOT EXISTS (SELECT 1 FROM conveyor.webhook_endpoints WHERE enabled) THEN
        RETURN NULL;
    END IF;
    INSERT INTO conveyor.jobs (queue, type, payload, state, max_attempts, timeout_seconds, idempotency_key)
    SELECT 'conveyor.webhooks', 'webhook',
           jsonb_build_object(
               'endpoint_id', w.id,
               'event_id', 'evt_' || e.id,
               'event_type', 'job.' || e.to_state,
               'timestamp', e.at,
               'data', jsonb_build_object(
                   'job_id', e.job_id, 'queue', e.queue, 'type', e.type, 'state', e.to_state,
                   'previous_state', e.from_state, 'attempt', e.attempt, 'error', e.error)),
           'queued', 8, 30, 'webhook:' || w.id || ':evt_' || e.id
    FROM new_events e
    JOIN conveyor.webhook_endpoints w ON w.enabled AND ('job.' || e.to_state) = ANY (w.events)
    WHERE e.queue <> 'conveyor.webhooks'
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS delivered = ROW_COUNT;
    IF delivered > 0 THEN
        PERFORM pg_notify('conveyor_jobs', 'conveyor.webhooks');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER job_events_webhooks AFTER INSERT ON conveyor.job_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION conveyor.enqueue_webhook_deliveries();
