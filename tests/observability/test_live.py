"""A live fault, end to end: real Conveyor processes (api, worker, scheduler) on a real
PostgreSQL, scraped by a real Prometheus running the committed rules, alerting a real
Alertmanager routing with the committed configuration to a local HTTP receiver.

1. Every PromQL expression in the rules, dashboards and runbooks runs against that Prometheus,
   and every series it names is present in the scrape.
2. Every worker stops while jobs keep arriving: ConveyorWorkersDown reaches the pager and
   ConveyorQueueBacklogGrowing the ticket channel; the workers restart: both resolve.

Test profile: 1 s scrape and evaluation intervals, Alertmanager grouping waits of 1 s; the
rules (their thresholds and `for` durations) are the committed ones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from scripts.observability.contract import series_in

from tests.conftest import truncate
from tests.observability import queries, rules
from tests.observability.stack import Notifications, Server, receiver, start_alertmanager, start_prometheus
from tests.support import Process, admin_key, free_port, process_env, wait_until

pytestmark = pytest.mark.timeout(600)

FAST = {
    "CONVEYOR_WORKER_POLL_INTERVAL": "0.2",
    "CONVEYOR_SCHEDULER_TICK_SECONDS": "0.5",
    "CONVEYOR_BACKOFF_BASE_SECONDS": "0.1",
    "CONVEYOR_BACKOFF_MAX_SECONDS": "0.2",
    "CONVEYOR_HTTP_ALLOW": "127.0.0.1",
}


@dataclass
class Live:
    database_url: str
    directory: Path
    api: Process
    worker: Process
    scheduler: Process
    prometheus: Server
    alertmanager: Server
    notifications: Notifications
    client: httpx.Client

    def start_worker(self) -> Process:
        assert self.worker.port is not None
        self.worker = Process(
            ["worker", "--port", str(self.worker.port)],
            process_env(self.database_url, **FAST),
            self.directory / "worker.log",
            self.worker.port,
        ).start()
        return self.worker.wait_ready(timeout=90)

    def query(self, expr: str) -> dict[str, Any]:
        response = httpx.get(f"{self.prometheus.url}/api/v1/query", params={"query": expr}, timeout=10)
        return dict(response.json())

    def scraped_names(self) -> set[str]:
        body = httpx.get(f"{self.prometheus.url}/api/v1/label/__name__/values", timeout=10).json()
        return set(body["data"])


def process(directory: Path, database_url: str, command: str, **env: str) -> Process:
    port = free_port()
    return Process(
        [command, "--port", str(port)],
        process_env(database_url, **FAST, **env),
        directory / f"{command}.log",
        port,
    ).start()


class Traffic:
    """Jobs submitted through the API a few times a second until stopped."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.stop = threading.Event()
        self.submitted = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.wait(0.25):
            self.client.post("/jobs", json={"type": "noop"}).raise_for_status()
            self.submitted += 1

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    truncate(database_url)
    directory = tmp_path_factory.mktemp("live")
    started: list[Process | Server] = []
    try:
        api = process(directory, database_url, "api")
        worker = process(directory, database_url, "worker")
        scheduler = process(directory, database_url, "scheduler")
        started += [api, worker, scheduler]
        for proc in (api, worker, scheduler):
            proc.wait_ready(timeout=90)  # a loaded CI machine starts Python slowly
        with receiver() as (receiver_url, notifications):
            alertmanager = start_alertmanager(directory / "alertmanager", receiver_url)
            started.append(alertmanager)
            targets = {
                "conveyor-api": [f"127.0.0.1:{api.port}"],
                "conveyor-worker": [f"127.0.0.1:{worker.port}"],
                "conveyor-scheduler": [f"127.0.0.1:{scheduler.port}"],
                "conveyor-web": [],
            }
            prometheus = start_prometheus(directory / "prometheus", targets, alertmanager.url, "1s")
            started.append(prometheus)
            client = httpx.Client(
                base_url=f"{api.base_url}/api/v1",
                headers={"Authorization": f"Bearer {admin_key(database_url)}"},
                timeout=10,
            )
            live = Live(
                database_url,
                directory,
                api,
                worker,
                scheduler,
                prometheus,
                alertmanager,
                notifications,
                client,
            )
            yield live
            started.append(live.worker)
    finally:
        for item in reversed(started):
            item.stop()


def exercise_every_metric(live: Live, hooks_url: str) -> None:
    """Traffic that makes every series family appear: jobs that succeed, retry and die, a
    schedule firing, a webhook delivered after a failed attempt."""
    client = live.client
    client.post("/webhooks", json={"url": hooks_url, "events": ["job.dead"]}).raise_for_status()
    refused = f"http://127.0.0.1:{free_port()}/nothing-listens"
    client.post(
        "/jobs", json={"type": "http", "payload": {"url": refused}, "max_attempts": 2}
    ).raise_for_status()
    client.post(
        "/schedules", json={"name": "every-second", "cron": "@every 1s", "job": {"type": "noop"}}
    ).raise_for_status()
    for _ in range(5):
        client.post("/jobs", json={"type": "echo", "payload": {"n": 1}}).raise_for_status()


def test_every_query_runs_against_the_live_scrape_and_names_only_scraped_series(live: Live) -> None:
    from tests.observability.stack import receiver as hook_receiver

    with hook_receiver() as (hooks_url, hooks):
        exercise_every_metric(live, f"{hooks_url}/hooks")
        expressions = queries.all_promql()
        needed = set().union(*(series_in(expr) for _, expr in expressions)) - rules.recorded_series()
        missing: set[str] = set()

        def all_scraped() -> bool:
            nonlocal missing
            missing = needed - live.scraped_names()
            return not missing

        try:
            wait_until(all_scraped, timeout=90, interval=1, what="every series to be scraped")
        except AssertionError:
            pytest.fail(f"series no process exports in a live scrape: {sorted(missing)}")
        assert hooks.snapshot(), "the webhook was delivered"
    failures = []
    for where, expr in expressions:
        result = live.query(expr)
        if result["status"] != "success":
            failures.append(f"{where}: {expr}: {result.get('error')}")
    assert failures == []
    assert len(expressions) > 100


def notification(live: Live, path: str, alertname: str, status: str) -> float:
    """Wait for a notification about ``alertname`` with ``status`` to reach ``path``; its arrival."""

    def arrived() -> bool:
        for seen_path, body in live.notifications.snapshot():
            if seen_path == path == "/pagerduty":  # PagerDuty Events v2
                action = "trigger" if status == "firing" else "resolve"
                if alertname in body["payload"]["summary"] and body["event_action"] == action:
                    return True
            if seen_path == path == "/slack":  # Slack's attachments, titled by conveyor.title
                title = body["attachments"][0]["title"]
                if title.startswith(f"[{status.upper()}") and alertname in title:
                    return True
        return False

    wait_until(arrived, timeout=240, interval=0.5, what=f"{alertname} {status} at {path}")
    return time.monotonic()


def test_stopping_every_worker_pages_and_restarting_them_resolves(live: Live, capsys: Any) -> None:
    with Traffic(live.client) as traffic:
        stopped = time.monotonic()  # from the stop request (SIGTERM; the worker drains, then exits)
        live.worker.stop()
        paged = notification(live, "/pagerduty", "ConveyorWorkersDown", "firing")
        ticketed = notification(live, "/slack", "ConveyorQueueBacklogGrowing", "firing")
        live.start_worker()
        restarted = time.monotonic()
        page_resolved = notification(live, "/pagerduty", "ConveyorWorkersDown", "resolved")
        ticket_resolved = notification(live, "/slack", "ConveyorQueueBacklogGrowing", "resolved")
    assert traffic.submitted > 100
    assert any(path == "/deadmansswitch" for path, _ in live.notifications.snapshot())
    with capsys.disabled():
        print(
            "\nlive fault: workers stopped -> ConveyorWorkersDown paged in "
            f"{paged - stopped:.0f} s, ConveyorQueueBacklogGrowing ticketed in {ticketed - stopped:.0f} s; "
            f"workers restarted -> page resolved in {page_resolved - restarted:.0f} s, "
            f"ticket resolved in {ticket_resolved - restarted:.0f} s"
        )
