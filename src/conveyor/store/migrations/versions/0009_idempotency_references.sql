-- Revision 0009: an Idempotency-Key remembers what its request created (ids), not the response,
-- which held API keys' and webhooks' secrets in clear text (ADR 0020). Responses stored before
-- are reduced to the ids they name, then wiped; the column goes. Backward compatible for
-- readers of the other columns; code of revision 0008 can no longer replay (it reads
-- response_body), so roll out with the migration, as always.
ALTER TABLE conveyor.idempotent_requests ADD COLUMN created jsonb;

UPDATE conveyor.idempotent_requests AS r
SET created = CASE
        WHEN r.route = '/api/v1/jobs/batch' THEN jsonb_build_object(
            'ids', (SELECT jsonb_agg(item -> 'id') FROM jsonb_array_elements(stored.body -> 'items') AS item),
            'created', stored.body -> 'created')
        ELSE stored.body -> 'id'
    END,
    response_body = NULL
FROM (
    SELECT user_id, key, convert_from(response_body, 'UTF8')::jsonb AS body
    FROM conveyor.idempotent_requests
    WHERE response_body IS NOT NULL
) AS stored
WHERE r.user_id = stored.user_id AND r.key = stored.key;

-- A finished request whose response named nothing to replay cannot be answered any more: free it.
DELETE FROM conveyor.idempotent_requests WHERE status IS NOT NULL AND created IS NULL;

ALTER TABLE conveyor.idempotent_requests DROP COLUMN response_body;
