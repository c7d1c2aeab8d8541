"""The system the chaos experiments break: Debian's PostgreSQL (scripts/dr/postgres.py), Conveyor's
processes on a libpq URL (scripts/dr/stack.py), and — for the alert evidence — Prometheus with
the committed rules and Alertmanager with the committed routing, notifying a loopback receiver
(scripts/observability/stack.py). Everything on loopback, stopped when the experiment ends."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.dr.load import LoadGenerator
from scripts.dr.postgres import Cluster, DrillError, make_workdir
from scripts.dr.stack import Child, Stack, free_port
from scripts.observability.stack import Notifications, Server, receiver, start_alertmanager, start_prometheus
from scripts.redis_server import RedisError, RedisServer, start_redis

from chaos.netns import Namespace, namespace
from chaos.prometheus import wait_until_scraping
from chaos.volume import Volume, tmpfs

REPO = Path(__file__).resolve().parents[1]
ALERTMANAGER = REPO / ".cache" / "tools" / "bin" / "alertmanager"

# Short intervals so an experiment takes seconds; the rules' thresholds and `for` are the
# committed ones. The lease is short so rescues come in seconds (production: 30 s).
FAST = {
    "CONVEYOR_WORKER_POLL_INTERVAL": "0.2",
    "CONVEYOR_SCHEDULER_TICK_SECONDS": "0.5",
    "CONVEYOR_WORKER_LEASE_SECONDS": "5",
    "CONVEYOR_WORKER_SHUTDOWN_GRACE": "10",
}
# Rules are evaluated every second; scrapes every 3 s with a 3 s timeout, because a scrape runs
# the process's readiness check, whose database deadline is 2 s: a shorter timeout turns a slow
# or unreachable database (or a loaded machine) into a failed scrape — no sample at all —
# instead of conveyor_ready 0.
SCRAPE_INTERVAL = "3s"


@dataclass
class Environment:
    root: Path
    database: Cluster
    stack: Stack
    notifications: Notifications | None = None
    prometheus: Server | None = None
    loads: list[LoadGenerator] = field(default_factory=list)
    redis: RedisServer | None = None
    netns: Namespace | None = None
    volume: Volume | None = None
    marks: dict[str, float] = field(default_factory=dict)  # named instants (fault injected, ...)
    findings: dict[str, Any] = field(default_factory=dict)  # what the probes measured

    def processes(self, command: str) -> list[Child]:
        return [c for c in self.stack.children if c.command == command and c.alive()]


def _require_alerting() -> tuple[str, str]:
    prometheus = shutil.which("prometheus")
    if not prometheus:
        raise DrillError("prometheus is not installed: run `make observability-tools`")
    if not ALERTMANAGER.exists():
        raise DrillError(f"{ALERTMANAGER} is missing: run `make tools` (tools/alertmanager)")
    return prometheus, str(ALERTMANAGER)


@contextmanager
def environment(
    root: Path,
    *,
    workers: int = 1,
    schedulers: int = 1,
    alerting: bool = True,
    redis: bool = False,
    isolated_worker: bool = False,
    database_volume_mb: int = 0,
    **env: str,
) -> Iterator[Environment]:
    """``isolated_worker``: one more worker in a network namespace of its own, reaching
    PostgreSQL over a veth pair (chaos/netns.py), so it alone can be cut off.
    ``database_volume_mb``: PostgreSQL's data directory, WAL included, on a tmpfs of that size
    of its own (chaos/volume.py), so the experiment can fill it."""
    root = make_workdir(root)
    with ExitStack() as cleanup:
        redis_server = None
        if redis:
            try:
                redis_server = start_redis(root, free_port())
            except RedisError as exc:
                raise DrillError(str(exc)) from exc
            cleanup.callback(redis_server.stop)
            env = {**env, "CONVEYOR_REDIS_URL": redis_server.url}
        database = Cluster("postgres", root, free_port())
        ns = cleanup.enter_context(namespace()) if isolated_worker else None
        if ns:
            database.settings["listen_addresses"] = f"'127.0.0.1,{ns.host_ip}'"
        volume = None
        if database_volume_mb:
            # Entered before the database starts, so it is unmounted after the database stops.
            volume = cleanup.enter_context(tmpfs(database.data, database_volume_mb))
        database.initdb()
        if ns:
            with (database.data / "pg_hba.conf").open("a") as hba:
                hba.write(f"host all all {ns.inside_ip}/32 trust\n")
        database.start()
        cleanup.callback(database.ensure_stopped)
        database.create_app_database()
        stack = Stack(database.dsn(), root / "logs", {**FAST, **env})
        cleanup.callback(stack.stop)
        stack.migrate()
        stack.create_admin_key()
        stack.start("api")
        for _ in range(workers):
            stack.start("worker")
        for _ in range(schedulers):
            stack.start("scheduler")
        if ns:
            stack.start(
                "worker",
                host=ns.inside_ip,
                prefix=ns.exec_prefix(),
                CONVEYOR_DATABASE_URL=f"postgresql://conveyor@{ns.host_ip}:{database.port}/conveyor",
                CONVEYOR_PROBES_HOST=ns.inside_ip,
            )
        stack.wait_ready(timeout=120)
        found = Environment(root, database, stack, redis=redis_server, netns=ns, volume=volume)
        if alerting:
            prometheus_bin, alertmanager_bin = _require_alerting()
            receiver_url, notifications = cleanup.enter_context(receiver())
            alertmanager = start_alertmanager(
                alertmanager_bin, root / "alertmanager", receiver_url, free_port(), fast=True
            )
            cleanup.callback(alertmanager.stop)
            targets = {
                f"conveyor-{command}": [f"{c.host}:{c.port}" for c in stack.children if c.command == command]
                for command in ("api", "worker", "scheduler", "web")
            }
            found.prometheus = start_prometheus(
                prometheus_bin,
                root / "prometheus",
                alertmanager.url,
                free_port(),
                targets=targets,
                interval="1s",
                scrape_interval=SCRAPE_INTERVAL,
            )
            cleanup.callback(found.prometheus.stop)
            found.notifications = notifications
            # No fault before Prometheus has a sample of everything at its steady value: the
            # rescue counter's 0 is what lets increase() see a burst of rescues.
            scraping = wait_until_scraping(
                found.prometheus.url,
                {job: instances for job, instances in targets.items() if instances},
                {"conveyor-scheduler": 'conveyor_maintenance_rows_total{task="rescue"}'},
            )
            found.findings["first_scrape_seconds"] = round(scraping, 1)
        cleanup.callback(_stop_loads, found)
        found.marks["ready"] = time.time()
        yield found


def _stop_loads(found: Environment) -> None:
    for load in found.loads:
        load.stop()
