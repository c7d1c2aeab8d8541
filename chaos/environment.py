"""The system the chaos experiments break: Debian's PostgreSQL (scripts/dr/postgres.py), Conveyor's
processes on a libpq URL (scripts/dr/stack.py), and — for the alert evidence — Prometheus with
the committed rules and Alertmanager with the committed routing, notifying a loopback receiver
(scripts/observability/stack.py). Everything on loopback, stopped when the experiment ends."""

from __future__ import annotations

import shutil
import socket
import subprocess
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

from chaos.netns import Namespace, namespace

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


@dataclass
class Environment:
    root: Path
    database: Cluster
    stack: Stack
    notifications: Notifications | None = None
    prometheus: Server | None = None
    loads: list[LoadGenerator] = field(default_factory=list)
    redis: subprocess.Popen[bytes] | None = None
    netns: Namespace | None = None
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
    **env: str,
) -> Iterator[Environment]:
    """``isolated_worker``: one more worker in a network namespace of its own, reaching
    PostgreSQL over a veth pair (chaos/netns.py), so it alone can be cut off."""
    root = make_workdir(root)
    with ExitStack() as cleanup:
        redis_server = None
        if redis:
            redis_server, redis_url = start_redis(root)
            cleanup.callback(redis_server.terminate)
            env = {**env, "CONVEYOR_REDIS_URL": redis_url}
        database = Cluster("postgres", root, free_port())
        ns = cleanup.enter_context(namespace()) if isolated_worker else None
        if ns:
            database.settings["listen_addresses"] = f"'127.0.0.1,{ns.host_ip}'"
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
        found = Environment(root, database, stack, redis=redis_server, netns=ns)
        if alerting:
            prometheus_bin, alertmanager_bin = _require_alerting()
            receiver_url, notifications = cleanup.enter_context(receiver())
            alertmanager = start_alertmanager(
                alertmanager_bin, root / "alertmanager", receiver_url, free_port(), fast=True
            )
            cleanup.callback(alertmanager.stop)
            targets = {
                f"conveyor-{command}": [f"127.0.0.1:{c.port}" for c in stack.children if c.command == command]
                for command in ("api", "worker", "scheduler")
            }
            found.prometheus = start_prometheus(
                prometheus_bin,
                root / "prometheus",
                alertmanager.url,
                free_port(),
                targets=targets,
                interval="1s",
            )
            cleanup.callback(found.prometheus.stop)
            found.notifications = notifications
        cleanup.callback(_stop_loads, found)
        found.marks["ready"] = time.time()
        yield found


def _stop_loads(found: Environment) -> None:
    for load in found.loads:
        load.stop()


def start_redis(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A private redis-server on a free loopback port, no persistence (Redis holds nothing durable)."""
    binary = shutil.which("redis-server")
    if not binary:
        raise DrillError("redis-server is not installed: run `make test-deps`")
    port = free_port()
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return server, f"redis://127.0.0.1:{port}/0"
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.terminate()
            raise DrillError("redis-server did not answer PING within 10 s")
        time.sleep(0.05)
