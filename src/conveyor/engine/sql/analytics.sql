-- name: analytics_by_queue_type
-- Outcomes and latency percentiles per queue and type over a window, from job_events. The BRIN
-- index on job_events.at confines the scan to the window's blocks (events are appended in time
-- order), so the cost follows the window, not the history.
SELECT queue, type,
       count(*) FILTER (WHERE from_state IS NULL) AS enqueued,
       count(*) FILTER (WHERE to_state = 'running') AS started,
       count(*) FILTER (WHERE to_state = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE from_state = 'running' AND to_state = 'retrying') AS retried,
       count(*) FILTER (WHERE to_state = 'dead') AS dead,
       count(*) FILTER (WHERE to_state = 'cancelled') AS cancelled,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY wait_seconds)
           FILTER (WHERE to_state = 'running') AS wait_seconds,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY run_seconds)
           FILTER (WHERE run_seconds IS NOT NULL AND to_state <> 'queued') AS run_seconds
FROM conveyor.job_events
WHERE at >= %(since)s AND at < %(until)s
  AND (%(queue)s::text IS NULL OR queue = %(queue)s)
  AND (%(type)s::text IS NULL OR type = %(type)s)
GROUP BY queue, type
ORDER BY queue, type;

-- name: analytics_series
-- Throughput over the window in fixed buckets.
SELECT date_bin(make_interval(secs => %(bucket_seconds)s), at, %(since)s) AS bucket_start,
       count(*) FILTER (WHERE to_state = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE to_state = 'dead') AS dead,
       count(*) FILTER (WHERE from_state = 'running' AND to_state = 'retrying') AS retried
FROM conveyor.job_events
WHERE at >= %(since)s AND at < %(until)s
  AND (%(queue)s::text IS NULL OR queue = %(queue)s)
  AND (%(type)s::text IS NULL OR type = %(type)s)
GROUP BY 1
ORDER BY 1;
