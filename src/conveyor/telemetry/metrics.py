"""Prometheus metrics per the telemetry contract: ``conveyor_`` prefix, base units, bounded
labels (queue, type, outcome, route template, status, pool name), never ids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from psycopg_pool import AsyncConnectionPool

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


class PoolMetrics(Collector):
    """The database connection pools of this process, read at each scrape from psycopg_pool's
    own statistics (``get_stats``: measures now, counters since the pool opened), one series per
    pool name. A closed pool disappears from the scrape; a pool opened under the same name
    replaces it."""

    def __init__(self) -> None:
        self._pools: dict[str, AsyncConnectionPool[Any]] = {}

    def watch(self, name: str, pool: AsyncConnectionPool[Any]) -> None:
        self._pools[name] = pool

    def collect(self) -> Iterator[Metric]:
        maximum = GaugeMetricFamily(
            "conveyor_db_pool_max_connections", "Connections the pool may open.", labels=["pool"]
        )
        connections = GaugeMetricFamily(
            "conveyor_db_pool_connections",
            "Connections of the pool: idle (ready to lend), or in_use (lent to a task, or being opened).",
            labels=["pool", "state"],
        )
        waiting = GaugeMetricFamily(
            "conveyor_db_pool_waiting_requests",
            "Tasks waiting now for a connection (the pool is exhausted).",
            labels=["pool"],
        )
        request_errors = CounterMetricFamily(
            "conveyor_db_pool_request_errors",
            "Requests for a connection that failed (timed out waiting, or the queue was full).",
            labels=["pool"],
        )
        connection_errors = CounterMetricFamily(
            "conveyor_db_pool_connection_errors",
            "Failed attempts to open a connection to the database.",
            labels=["pool"],
        )
        lost = CounterMetricFamily(
            "conveyor_db_pool_connections_lost",
            "Connections found broken (the database went away or closed them).",
            labels=["pool"],
        )
        for name, pool in list(self._pools.items()):
            if pool.closed:
                continue
            stats = pool.get_stats()
            idle = stats.get("pool_available", 0)
            maximum.add_metric([name], stats.get("pool_max", 0))
            connections.add_metric([name, "in_use"], stats.get("pool_size", 0) - idle)
            connections.add_metric([name, "idle"], idle)
            waiting.add_metric([name], stats.get("requests_waiting", 0))
            request_errors.add_metric([name], stats.get("requests_errors", 0))
            connection_errors.add_metric([name], stats.get("connections_errors", 0))
            lost.add_metric([name], stats.get("connections_lost", 0))
        yield from (maximum, connections, waiting, request_errors, connection_errors, lost)


pools = PoolMetrics()
REGISTRY.register(pools)
