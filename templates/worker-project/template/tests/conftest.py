"""A real Conveyor for the tests: an embedded PostgreSQL (pgserver, which Conveyor depends on),
migrated, with a real API and a real worker process that load this package's handlers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def conveyor(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "conveyor", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class Conveyor:
    def __init__(self, api_url: str, key: str) -> None:
        self.api_url, self.key = api_url, key


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{url} exited:\n{log.read_text()}"
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not ready in 60 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def real_conveyor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Conveyor]:
    import pgserver

    home = tmp_path_factory.mktemp("conveyor")
    server = pgserver.get_server(home / "pgdata", cleanup_mode="stop")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_")}
    env |= {"CONVEYOR_DATABASE_URL": server.get_uri(), "CONVEYOR_ENV": "test", "CONVEYOR_HOME": str(home)}
    conveyor("migrate", env=env)
    key = conveyor("admin", "create-key", "--email", "ci@example.com", "--role", "operator", env=env).strip()
    api_port, worker_port = free_port(), free_port()
    started = []
    for command, port in (("api", api_port), ("worker", worker_port)):
        log = home / f"{command}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "conveyor", command, "--port", str(port)],
            env=env | {"CONVEYOR_WORKER_QUEUES": "default", "CONVEYOR_WORKER_POLL_INTERVAL": "0.2"},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        started.append(proc)
        wait_ready(f"http://127.0.0.1:{port}", proc, log)
    try:
        yield Conveyor(f"http://127.0.0.1:{api_port}", key)
    finally:
        for proc in started:
            proc.terminate()
            proc.wait(30)
