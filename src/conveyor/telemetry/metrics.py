"""Prometheus metrics per the telemetry contract: ``conveyor_`` prefix, base units, bounded
labels (queue, type, outcome, route template, status), never ids."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

http_requests = Counter(
    "conveyor_http_requests_total", "HTTP requests served.", ["method", "route", "status"]
)
http_duration = Histogram(
    "conveyor_http_request_duration_seconds",
    "HTTP request latency.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
jobs_enqueued = Counter("conveyor_jobs_enqueued_total", "Jobs accepted into a queue.", ["queue", "type"])
jobs_completed = Counter(
    "conveyor_jobs_completed_total",
    "Job attempts finished, by outcome (succeeded, retrying, dead, cancelled, lost).",
    ["queue", "type", "outcome"],
)
job_run_duration = Histogram(
    "conveyor_job_run_duration_seconds",
    "Time a handler ran for one attempt.",
    ["queue", "type"],
    buckets=JOB_BUCKETS,
)
job_queue_wait = Histogram(
    "conveyor_job_queue_wait_seconds",
    "From a job becoming due to its attempt starting.",
    ["queue", "type"],
    buckets=JOB_BUCKETS,
)
worker_slots = Gauge("conveyor_worker_slots", "Concurrent job slots of this worker.")
worker_slots_busy = Gauge("conveyor_worker_slots_busy", "Slots running a job now.")
queue_depth = Gauge(
    "conveyor_queue_depth",
    "Jobs waiting per queue: due now, or waiting for their time.",
    ["queue", "when"],
)
queue_oldest_due_age = Gauge(
    "conveyor_queue_oldest_due_age_seconds", "Age of the oldest due job not yet started.", ["queue"]
)
jobs_running = Gauge("conveyor_jobs_running", "Jobs running now, per queue.", ["queue"])
schedule_fires = Counter(
    "conveyor_schedule_fires_total",
    "Cron schedule fires, by outcome (enqueued, skipped).",
    ["outcome"],
)
schedule_lag = Histogram(
    "conveyor_schedule_lag_seconds",
    "From a schedule's fire time to its job being enqueued.",
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
maintenance_rows = Counter("conveyor_maintenance_rows_total", "Rows changed by maintenance tasks.", ["task"])
is_leader = Gauge("conveyor_scheduler_leader", "1 while this scheduler replica leads maintenance.")
completer_write_failures = Counter(
    "conveyor_completer_write_failures_total",
    "Statements writing job outcomes that failed (database unreachable, or refused a batch or a row).",
)
completer_outcomes_refused = Counter(
    "conveyor_completer_outcomes_refused_total",
    "Outcomes the database refused on their own, by what was done instead "
    "(recorded_as_failure, or dropped: the job's lease lapses and it runs again).",
    ["action"],
)
completer_backlog = Gauge("conveyor_completer_backlog", "Job outcomes waiting to be written.")
job_outputs_changed = Counter(
    "conveyor_job_outputs_changed_total",
    "Results and errors changed so that they can be stored (repaired text or numbers, cut messages).",
    ["part"],
)
ready = Gauge(
    "conveyor_ready",
    "1 while this process passes its readiness check (database reachable, schema current, not "
    "shutting down), evaluated at each scrape; 0 otherwise.",
)
webhook_deliveries = Counter(
    "conveyor_webhook_deliveries_total",
    "Webhook delivery attempts, by result (delivered, skipped, or the failure kind: http_status, "
    "http_timeout, http_connection, http_redirects, outbound_refused).",
    ["result"],
)
