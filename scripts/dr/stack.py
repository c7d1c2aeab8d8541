"""Conveyor's processes (API, workers, scheduler) as real ``conveyor`` children, pointed at one
database URL — a libpq multi-host URL in the drills, so they follow a failover by themselves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from scripts.dr.postgres import DrillError

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def multi_host_url(ports: list[int], *, user: str = "conveyor", dbname: str = "conveyor") -> str:
    """libpq's multi-host URL: try each host in turn, keep the one that accepts writes."""
    hosts = ",".join(f"127.0.0.1:{port}" for port in ports)
    return f"postgresql://{user}@{hosts}/{dbname}?target_session_attrs=read-write&connect_timeout=2"


def conveyor_env(database_url: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVEYOR_", "OTEL_"))}
    env.update(
        CONVEYOR_DATABASE_URL=database_url,
        CONVEYOR_ENV="test",
        CONVEYOR_RATE_LIMIT="100000/second",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


@dataclass
class Child:
    """One ``conveyor <command>`` process with its log file."""

    command: str
    port: int
    log: Path
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None
    host: str = "127.0.0.1"
    # Runs the process elsewhere, e.g. ["ip", "netns", "exec", NAME] (chaos/netns.py).
    prefix: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Child:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [*self.prefix, sys.executable, "-m", "conveyor", self.command, "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        return self

    def ready(self) -> bool:
        if self.popen is None or self.popen.poll() is not None:
            code = None if self.popen is None else self.popen.returncode
            raise DrillError(f"conveyor {self.command} exited ({code}):\n{self.output()[-3000:]}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        assert self.popen is not None
        self.popen.send_signal(signum)

    def stop(self, timeout: float = 30) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Stack:
    """API + workers + scheduler on one database URL; logs under ``logs``."""

    database_url: str
    logs: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)
    admin_key: str = ""

    def migrate(self) -> None:
        """Conveyor's migrations, in this process (one interpreter start fewer per drill)."""
        from conveyor.store import migrate

        migrate.upgrade(self.database_url)

    def create_admin_key(self) -> str:
        """An admin API key for the drill, issued directly in the database (as the CLI's
        `conveyor admin create-key` does)."""
        from conveyor.factories import blocking, user_with_key

        _, self.admin_key = blocking(
            self.database_url,
            lambda engine: user_with_key(engine.pool, "drill@example.com", "admin", "drill"),
        )
        return self.admin_key

    def start(
        self, command: str, *, host: str = "127.0.0.1", prefix: list[str] | None = None, **env: str
    ) -> Child:
        self.logs.mkdir(parents=True, exist_ok=True)
        name = f"{command}-{len(self.children)}"
        child = Child(
            command,
            free_port(),
            self.logs / f"{name}.log",
            conveyor_env(self.database_url, **{**self.env_overrides, **env}),
            host=host,
            prefix=list(prefix or []),
        ).start()
        self.children.append(child)
        return child

    def replace(self, old: Child) -> Child:
        """What an orchestrator does for a dead process: a new one, same command, same port
        (Prometheus keeps scraping the same target)."""
        new = Child(old.command, old.port, old.log, old.env, host=old.host, prefix=old.prefix).start()
        self.children[self.children.index(old)] = new
        return new

    def api(self) -> Child:
        return next(c for c in self.children if c.command == "api" and c.alive())

    def wait_ready(self, timeout: float = 60) -> float:
        """Wait until every live process answers /readyz; return the time it happened."""
        deadline = time.monotonic() + timeout
        while not all(child.ready() for child in self.children if child.alive()):
            if time.monotonic() > deadline:
                waiting = [c.command for c in self.children if c.alive() and not c.ready()]
                raise DrillError(f"not ready after {timeout:.0f} s: {', '.join(waiting)}")
            time.sleep(0.1)
        return time.time()

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
