"""Helpers shared by the tests: bounded polling, free ports, real child processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from scripts.polling import poll

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    condition: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    return poll(condition, timeout=timeout, what=what, interval=interval, error=AssertionError)


async def eventually(
    condition: Callable[[], Awaitable[Any]],
    *,
    timeout: float = 30.0,
    interval: float = 0.05,
    what: str = "condition",
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


@dataclass
class Process:
    """A real ``conveyor`` child process whose output is kept in a log file."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> Process:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "conveyor", *self.args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> Process:
        def ready() -> bool:
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.args[0]} exited with {self.popen.returncode}:\n{self.output()}")
            try:
                return client.get(f"{self.base_url}/readyz").status_code == 200
            except httpx.HTTPError:
                return False

        # One client for every poll: httpx.get builds a client (and its TLS context) per call,
        # ~20 ms of CPU taken from the very process being waited for.
        with httpx.Client(timeout=1) as client:
            wait_until(ready, timeout=timeout, interval=0.05, what=f"{self.args[0]} /readyz")
        return self

    def signal(self, signum: int) -> None:
        assert self.popen is not None
        self.popen.send_signal(signum)

    def wait(self, timeout: float) -> int:
        assert self.popen is not None
        return self.popen.wait(timeout=timeout)

    def stop(self) -> None:
        stop_all([self])

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def all_ready(*processes: Process) -> None:
    """Wait for processes started together: they start side by side, not one after another."""
    for process in processes:
        process.wait_ready()


def stop_all(processes: list[Process]) -> None:
    """SIGTERM every running process first, then wait for each (killed after 15 s): they shut
    down side by side, not one after another."""
    running = [p.popen for p in processes if p.popen and p.popen.poll() is None]
    for popen in running:
        popen.send_signal(signal.SIGTERM)
    for popen in running:
        try:
            popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()


def process_env(database_url: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVEYOR_", "OTEL_"))}
    env.update({"CONVEYOR_DATABASE_URL": database_url, "CONVEYOR_ENV": "test", "PYTHONUNBUFFERED": "1"})
    env.update(overrides)
    return env


def admin_key(database_url: str) -> str:
    """An admin API key issued by `conveyor admin create-key`, as an operator would."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "conveyor",
            "admin",
            "create-key",
            "--email",
            "sre@example.com",
            "--role",
            "admin",
        ],
        env=process_env(database_url),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return result.stdout.strip()


@dataclass(frozen=True)
class Received:
    """One request a recording receiver got: header names lower-cased, the body as sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


# What the receiver answers: status, headers, body. A responder sees the request and how many
# came before it (a receiver that refuses the first call, answers by path, is slow on one...).
Answer = tuple[int, dict[str, str], bytes]
Responder = Callable[[Received, int], Answer]


def no_content(_request: Received, _before: int) -> Answer:
    return 204, {}, b""


@dataclass
class Recorder:
    """A real HTTP server on a free loopback port that records every request, then answers it
    with ``respond``; the one receiver the tests use for webhooks, targets and fake services."""

    url: str
    respond: Responder
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: Received) -> int:
        """Keep ``request`` (before answering: a late record would land in a later test)."""
        with self._lock:
            self.received.append(request)
            return len(self.received) - 1

    def wait_for(self, count: int, *, timeout: float = 30.0) -> list[Received]:
        """The first ``count`` requests, once that many have come."""
        wait_until(
            lambda: len(self.received) >= count, timeout=timeout, what=f"{count} requests at {self.url}"
        )
        return self.received[:count]


@contextlib.contextmanager
def recording_receiver(respond: Responder = no_content) -> Iterator[Recorder]:
    recorder = Recorder("", respond)

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = Received(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            status, headers, body = recorder.respond(request, recorder.record(request))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # clients may stop reading
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() waits for the serving loop to notice, which it checks every poll_interval.
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


def opt_in_collection(here: Path, env_var: str) -> Callable[[Path, Any], bool | None]:
    """A ``pytest_ignore_collect`` hook for a suite that needs tools a plain ``pytest`` lacks:
    collected when ``env_var`` is 1 (its make target sets it) or when named on the command line."""

    def named_on_command_line(config: Any) -> bool:
        base = config.invocation_params.dir
        for arg in config.args:
            path = (base / arg.split("::", 1)[0]).resolve()
            if path == here or here in path.parents:
                return True
        return False

    def pytest_ignore_collect(collection_path: Path, config: Any) -> bool | None:
        if collection_path.resolve() == here or here not in collection_path.resolve().parents:
            return None
        if os.environ.get(env_var) == "1" or named_on_command_line(config):
            return None
        return True

    return pytest_ignore_collect
