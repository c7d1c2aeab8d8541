"""A throwaway Conveyor for scripts (screenshots, console benchmark): embedded PostgreSQL in a
temporary directory, users with passwords, and real api/worker/scheduler/web processes on
free loopback ports. Not for production; ``conveyor up`` is the supported local setup."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from conveyor.factories import blocking, user_with_key
from conveyor.store import migrate
from conveyor.store.database import Pool
from conveyor.store.users import Role, ensure_user

PASSWORD = "screenshots and benchmarks"  # noqa: S105 - a throwaway local stack
ROLES: tuple[Role, ...] = ("admin", "operator", "viewer")


@dataclass
class Stack:
    api: str
    console: str
    database_url: str
    admin_key: str
    users: dict[str, str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _users(pool: Pool) -> tuple[dict[str, str], str]:
    """A user per role, signing in with PASSWORD; an API key for the admin."""
    users: dict[str, str] = {role: f"{role}@example.com" for role in ROLES}
    _, key = await user_with_key(
        pool, users["admin"], "admin", "local stack", name="Admin", password=PASSWORD
    )
    for role in ROLES[1:]:
        await ensure_user(pool, users[role], role, role.title(), password=PASSWORD)
    return users, key


def _wait(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s")


@contextlib.contextmanager
def running_stack(**env_overrides: str) -> Iterator[Stack]:
    import pgserver  # the embedded PostgreSQL

    with tempfile.TemporaryDirectory(prefix="conveyor-stack-") as tmp:
        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        url = server.get_uri()
        migrate.upgrade(url)
        users, admin_key = blocking(url, lambda engine: _users(engine.pool))
        ports = {name: _free_port() for name in ("api", "web", "worker", "scheduler")}
        api = f"http://127.0.0.1:{ports['api']}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_")}
        env.update(
            CONVEYOR_DATABASE_URL=url,
            CONVEYOR_API_URL=api,
            CONVEYOR_RATE_LIMIT="100000/second",
            CONVEYOR_LOG_LEVEL="warning",
            **env_overrides,
        )
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for name, port in ports.items():
                log = (Path(tmp) / f"{name}.log").open("ab")
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "conveyor", name, "--port", str(port)],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            for proc, port in zip(procs, ports.values(), strict=True):
                _wait(f"http://127.0.0.1:{port}/readyz", proc)
            yield Stack(
                api=api,
                console=f"http://127.0.0.1:{ports['web']}",
                database_url=url,
                admin_key=admin_key,
                users=users,
            )
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
