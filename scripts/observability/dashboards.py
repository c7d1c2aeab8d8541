"""Conveyor's Grafana dashboards as code (grafana-foundation-sdk) -> committed JSON.

    python -m scripts.observability.dashboards [--out DIR]      (`make dashboards`)

Every dashboard has a stable uid (the `dashboard_url` of the alerts point at them); queries use
only the metric contract (src/conveyor/telemetry/metrics.py), Sloth's recording rules, `up` and
`process_*`. The datasources are provisioned with fixed uids (observability/grafana/provisioning).
tests/observability/test_dashboards.py regenerates them (staleness), validates them against the
schema of @grafana/schema, parses their LogQL and runs their PromQL against a live Prometheus.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.builders import logs, loki, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "observability" / "grafana" / "dashboards"
PROMETHEUS = model.DataSourceRef(type_val="prometheus", uid="prometheus")
LOKI = model.DataSourceRef(type_val="loki", uid="loki")
PROCESSES = 'job=~"conveyor-(api|web|worker|scheduler)"'
DB_PROCESSES = 'job=~"conveyor-(api|worker|scheduler)"'  # the web console has no database
LOG_STREAM = '{service_name=~"conveyor-(api|web|worker|scheduler)"}'


def query(expr: str, legend: str = "") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend or "__auto").datasource(PROMETHEUS)


def graph(title: str, unit: str, *queries: prometheus.Dataquery, width: int = 12) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(PROMETHEUS).height(8).span(width)
    for ref, target in zip("ABCDEFGH", queries, strict=False):
        panel = panel.with_target(target.ref_id(ref))
    return panel


def single(title: str, unit: str, expr: str, width: int = 6) -> stat.Panel:
    return (
        stat.Panel().title(title).unit(unit).datasource(PROMETHEUS).height(4).span(width)
        .with_target(query(expr).ref_id("A"))
    )  # fmt: skip


def log_panel(title: str, expr: str) -> logs.Panel:
    """Log lines from Loki; each carries trace_id, which the Loki datasource links to Tempo."""
    return (
        logs.Panel().title(title).datasource(LOKI).height(10).span(24)
        .with_target(loki.Dataquery().expr(expr).ref_id("A").datasource(LOKI))
    )  # fmt: skip


def base(uid: str, title: str, description: str) -> gd.Dashboard:
    return (
        gd.Dashboard(title).uid(uid).description(description).tags(["conveyor"])
        .time("now-6h", "now").refresh("30s").timezone("utc").editable()
        .link(gd.DashboardLink("Conveyor").type(model.DashboardLinkType.DASHBOARDS).tags(["conveyor"]).as_dropdown(True))
    )  # fmt: skip


def queue_variable() -> gd.QueryVariable:
    return (
        gd.QueryVariable("queue").label("Queue").datasource(PROMETHEUS)
        .query("label_values(conveyor_queue_depth, queue)").multi(True).include_all(True)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
    )  # fmt: skip


def overview() -> gd.Dashboard:
    rate = "rate(conveyor_http_requests_total[$__rate_interval])"
    return (
        base("conveyor-overview", "Conveyor / Overview", "Golden signals per process: traffic, errors, latency, saturation.")
        .with_row(gd.Row("Traffic and errors"))
        .with_panel(graph("Requests per second by process", "reqps", query(f"sum by (job) ({rate})", "{{job}}")))
        .with_panel(graph(
            "Server errors (5xx) ratio by process", "percentunit",
            query(f'sum by (job) (rate(conveyor_http_requests_total{{status=~"5.."}}[$__rate_interval])) / sum by (job) ({rate})', "{{job}}"),
        ))
        .with_panel(graph(
            "Request latency p99 by process", "s",
            query("histogram_quantile(0.99, sum by (job, le) (rate(conveyor_http_request_duration_seconds_bucket[$__rate_interval])))", "{{job}}"),
        ))
        .with_panel(graph(
            "Jobs finished per second by outcome", "ops",
            query("sum by (outcome) (rate(conveyor_jobs_completed_total[$__rate_interval]))", "{{outcome}}"),
        ))
        .with_row(gd.Row("Saturation and health"))
        .with_panel(graph("Targets up", "short", query(f"sum by (job) (up{{{PROCESSES}}})", "{{job}}"), width=8))
        .with_panel(graph("Ready (readiness check at scrape)", "short", query(f"min by (job) (conveyor_ready{{{PROCESSES}}})", "{{job}}"), width=8))
        .with_panel(graph("Restarts (15m)", "short", query(f"sum by (job) (changes(process_start_time_seconds{{{PROCESSES}}}[15m]))", "{{job}}"), width=8))
        .with_panel(graph("CPU by instance", "percentunit", query(f"rate(process_cpu_seconds_total{{{PROCESSES}}}[$__rate_interval])", "{{job}} {{instance}}")))
        .with_panel(graph("Resident memory by instance", "bytes", query(f"process_resident_memory_bytes{{{PROCESSES}}}", "{{job}} {{instance}}")))
        .with_row(gd.Row("Logs"))
        .with_panel(log_panel("Warnings and errors (trace_id links to Tempo)", f'{LOG_STREAM} | json | level=~"warning|error"'))
    )  # fmt: skip


def slos() -> gd.Dashboard:
    selector = 'sloth_service="conveyor", sloth_slo=~"$slo"'
    windows = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
    return (
        base("conveyor-slos", "Conveyor / SLOs", "Sloth-generated SLIs: error ratio per window, burn rate, error budget left (30 days).")
        .with_variable(
            gd.QueryVariable("slo").label("SLO").datasource(PROMETHEUS)
            .query('label_values(slo:sli_error:ratio_rate5m{sloth_service="conveyor"}, sloth_slo)')
            .multi(True).include_all(True).refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        )
        .with_panel(single("Objective", "percentunit", f"slo:objective:ratio{{{selector}}}", width=8))
        .with_panel(single("Error budget left (30d)", "percentunit", f"slo:period_error_budget_remaining:ratio{{{selector}}}", width=8))
        .with_panel(single("Burn rate now (5m)", "short", f"slo:current_burn_rate:ratio{{{selector}}}", width=8))
        .with_panel(graph(
            "SLI error ratio per alert window", "percentunit",
            *(query(f"slo:sli_error:ratio_rate{w}{{{selector}}}", f"{{{{sloth_slo}}}} {w}") for w in windows),
            width=24,
        ))
        .with_panel(graph(
            "Burn rate (x budget): page at 14.4 (1h) / 6 (6h), ticket at 3 (1d) / 1 (3d)", "short",
            *(
                query(
                    f"slo:sli_error:ratio_rate{w}{{{selector}}} / on (sloth_id) group_left slo:error_budget:ratio{{{selector}}}",
                    f"{{{{sloth_slo}}}} {w}",
                )
                for w in ("1h", "6h", "1d", "3d")
            ),
        ))
        .with_panel(graph("Error budget left over time", "percentunit", query(f"slo:period_error_budget_remaining:ratio{{{selector}}}", "{{sloth_slo}}")))
    )  # fmt: skip


def queues() -> gd.Dashboard:
    q = 'queue=~"$queue"'
    return (
        base("conveyor-queues", "Conveyor / Queues", "Depth, oldest due job, wait and run percentiles, outcomes, webhook deliveries.")
        .with_variable(queue_variable())
        .with_panel(graph("Depth by queue", "short", query(f"max by (queue, when) (conveyor_queue_depth{{{q}}})", "{{queue}} {{when}}")))
        .with_panel(graph("Oldest due job age (alert at 30 s)", "s", query(f"max by (queue) (conveyor_queue_oldest_due_age_seconds{{{q}}})", "{{queue}}")))
        .with_panel(graph(
            "Queue wait p50 / p99 (freshness objective 10 s)", "s",
            query(f"histogram_quantile(0.5, sum by (queue, le) (rate(conveyor_job_queue_wait_seconds_bucket{{{q}}}[$__rate_interval])))", "p50 {{queue}}"),
            query(f"histogram_quantile(0.99, sum by (queue, le) (rate(conveyor_job_queue_wait_seconds_bucket{{{q}}}[$__rate_interval])))", "p99 {{queue}}"),
        ))
        .with_panel(graph(
            "Run time p50 / p99 by type", "s",
            query(f"histogram_quantile(0.5, sum by (type, le) (rate(conveyor_job_run_duration_seconds_bucket{{{q}}}[$__rate_interval])))", "p50 {{type}}"),
            query(f"histogram_quantile(0.99, sum by (type, le) (rate(conveyor_job_run_duration_seconds_bucket{{{q}}}[$__rate_interval])))", "p99 {{type}}"),
        ))
        .with_panel(graph(
            "Enqueued and finished per second", "ops",
            query(f"sum by (queue) (rate(conveyor_jobs_enqueued_total{{{q}}}[$__rate_interval]))", "enqueued {{queue}}"),
            query(f"sum by (queue, outcome) (rate(conveyor_jobs_completed_total{{{q}}}[$__rate_interval]))", "{{outcome}} {{queue}}"),
        ))
        .with_panel(graph("Running now", "short", query(f"max by (queue) (conveyor_jobs_running{{{q}}})", "{{queue}}")))
        .with_panel(graph("Dead-lettered (15m)", "short", query(f'sum by (queue) (increase(conveyor_jobs_completed_total{{{q}, outcome="dead"}}[15m]))', "{{queue}}")))
        .with_panel(graph("Webhook delivery attempts by result", "ops", query("sum by (result) (rate(conveyor_webhook_deliveries_total[$__rate_interval]))", "{{result}}")))
    )  # fmt: skip


def workers() -> gd.Dashboard:
    return (
        base("conveyor-workers", "Conveyor / Workers and scheduler", "Worker slots, the maintenance leader, schedule fires and lag, lease rescues.")
        .with_panel(graph(
            "Worker slots and busy slots", "short",
            query("sum(conveyor_worker_slots)", "slots"), query("sum(conveyor_worker_slots_busy)", "busy"),
        ))
        .with_panel(graph("Slot utilisation by instance", "percentunit", query("conveyor_worker_slots_busy / conveyor_worker_slots", "{{instance}}")))
        .with_panel(graph("Workers up", "short", query('sum(up{job="conveyor-worker"})', "workers")))
        .with_panel(graph("Maintenance leader", "short", query("conveyor_scheduler_leader", "{{instance}}")))
        .with_panel(graph("Schedule fires by outcome", "ops", query("sum by (outcome) (rate(conveyor_schedule_fires_total[$__rate_interval]))", "{{outcome}}")))
        .with_panel(graph(
            "Schedule lag p99 (punctuality objective 30 s)", "s",
            query("histogram_quantile(0.99, sum by (le) (rate(conveyor_schedule_lag_seconds_bucket[$__rate_interval])))", "p99"),
        ))
        .with_panel(graph("Maintenance rows by task (rescue = lost leases)", "ops", query("sum by (task) (rate(conveyor_maintenance_rows_total[$__rate_interval]))", "{{task}}")))
        .with_panel(graph("Jobs lost by their worker", "ops", query('sum by (queue) (rate(conveyor_jobs_completed_total{outcome="lost"}[$__rate_interval]))', "{{queue}}")))
    )  # fmt: skip


def database() -> gd.Dashboard:
    return (
        base("conveyor-database", "Conveyor / Database", "Connection pools, readiness against PostgreSQL from every process, the errors it causes, database log lines.")
        .with_row(gd.Row("Connection pools"))
        .with_panel(graph(
            "Pool connections by process (in use, idle) and the maximum",
            "short",
            query(f"sum by (job, state) (conveyor_db_pool_connections{{{DB_PROCESSES}}})", "{{job}} {{state}}"),
            query(f"sum by (job) (conveyor_db_pool_max_connections{{{DB_PROCESSES}}})", "{{job}} max"),
        ))
        .with_panel(graph("Tasks waiting for a connection (pool exhausted)", "short", query(f"max by (job) (conveyor_db_pool_waiting_requests{{{DB_PROCESSES}}})", "{{job}}")))
        .with_panel(graph(
            "Pool errors by process",
            "ops",
            query(f"sum by (job) (rate(conveyor_db_pool_connection_errors_total{{{DB_PROCESSES}}}[$__rate_interval]))", "{{job}} connect failed"),
            query(f"sum by (job) (rate(conveyor_db_pool_connections_lost_total{{{DB_PROCESSES}}}[$__rate_interval]))", "{{job}} connection lost"),
            query(f"sum by (job) (rate(conveyor_db_pool_request_errors_total{{{DB_PROCESSES}}}[$__rate_interval]))", "{{job}} no connection in time"),
        ))
        .with_row(gd.Row("Readiness and errors"))
        .with_panel(graph("Ready by process (0 = database unreachable or schema behind)", "short", query(f"min by (job) (conveyor_ready{{{DB_PROCESSES}}})", "{{job}}")))
        .with_panel(graph("API answers 503 (database unavailable)", "reqps", query('sum by (route) (rate(conveyor_http_requests_total{status="503"}[$__rate_interval]))', "{{route}}")))
        .with_panel(graph("Maintenance statements' rows by task", "ops", query("sum by (task) (rate(conveyor_maintenance_rows_total[$__rate_interval]))", "{{task}}")))
        .with_panel(graph("Scrape duration (includes the readiness check)", "s", query(f"max by (job) (scrape_duration_seconds{{{PROCESSES}}})", "{{job}}")))
        .with_panel(log_panel(
            "Database errors in the logs",
            f'{LOG_STREAM} | json | event=~"scheduler_tick_failed|claim_failed|database_unreachable_at_start"',
        ))
    )  # fmt: skip


DASHBOARDS: dict[str, Callable[[], gd.Dashboard]] = {
    "conveyor-overview": overview,
    "conveyor-slos": slos,
    "conveyor-queues": queues,
    "conveyor-workers": workers,
    "conveyor-database": database,
}


def render(builder: gd.Dashboard) -> str:
    dashboard = builder.build()
    for variable in (dashboard.templating.list_val or []) if dashboard.templating else []:
        # The SDK gives every variable the interval variables' auto* defaults; @grafana/schema's
        # dashboard schema allows them on interval variables only.
        if variable.type_val == model.VariableType.QUERY:
            variable.auto = variable.auto_min = variable.auto_count = None
    return json.dumps(json.loads(JSONEncoder().encode(dashboard)), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for uid, build in DASHBOARDS.items():
        path = args.out / f"{uid}.json"
        path.write_text(render(build()))
        print(f"dashboards: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
