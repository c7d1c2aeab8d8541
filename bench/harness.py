"""The harness's plumbing: services (PostgreSQL, Redis), benchmark processes and their reports.

Everything here runs in the bench environment (bench/.venv). Systems run as child processes
in their own environment and report through ``systems/_probe.py`` lines on stdout.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
BENCH_PYTHON = BENCH / ".venv" / "bin" / "python"
PREFIX = b"@@BENCH "


class BenchError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(predicate: Any, timeout: float, interval: float = 0.01, what: str = "condition") -> float:
    """Poll ``predicate`` until true; return the time the successful check was *issued*."""
    deadline = time.time() + timeout
    while True:
        issued = time.time()
        if predicate():
            return issued
        if issued > deadline:
            raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def write_report(name: str, fields: dict[str, Any]) -> Path:
    """``bench/results/<name>-<date>.json``: ``fields`` with when and on what they were measured."""
    import platform
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    report = {
        "at": now.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **fields,
    }
    out = BENCH / "results" / f"{name}-{now:%Y-%m-%d}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    return out


# -- services -----------------------------------------------------------------------------------


@dataclass
class Postgres:
    server: Any
    data_dir: Path

    def url(self, database: str = "postgres") -> str:
        uri: str = self.server.get_uri(database)
        return uri

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def settings(self) -> dict[str, str]:
        import psycopg

        names = (
            "server_version",
            "fsync",
            "synchronous_commit",
            "full_page_writes",
            "wal_level",
            "shared_buffers",
            "max_connections",
            "work_mem",
            "checkpoint_timeout",
            "max_wal_size",
        )
        with psycopg.connect(self.url()) as conn:
            return {n: str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names}  # type: ignore[index]


def start_postgres(data_dir: Path) -> Postgres:
    import warnings

    import pgserver

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(data_dir, cleanup_mode="delete")
    return Postgres(server, data_dir)


def ensure_redis_server() -> str:
    """The path of redis-server, installing Debian's package first when missing (as root)."""
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise BenchError(
            "redis-server is missing: install it (Debian/Ubuntu: sudo apt-get install redis-server)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "redis-server"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    found = shutil.which("redis-server")
    if not found:
        raise BenchError("installed redis-server but cannot find it on PATH")
    return found


@dataclass
class Redis:
    process: subprocess.Popen[bytes]
    port: int
    version: str

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_redis(data_dir: Path) -> Redis:
    """redis-server with its default persistence (RDB snapshots, no AOF) on a free loopback port."""
    binary = ensure_redis_server()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir), "--daemonize", "no"],
        stdout=(data_dir / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    redis = Redis(process, port, version)
    wait_until(lambda: _redis_ping(redis), 10, 0.05, "redis-server to start")
    return redis


def _redis_ping(redis: Redis) -> bool:
    try:
        return bool(redis.client().ping())
    except Exception:
        return False


# -- benchmark processes ------------------------------------------------------------------------


@dataclass
class Proc:
    """A child process and what it reported."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    ready: bool = False
    cpu_at_ready: float | None = None  # start-up (imports, connections) is not the jobs' cost
    done: int = 0
    first: float | None = None
    last: float | None = None
    samples: list[tuple[float, float]] = field(default_factory=list)
    done_series: list[tuple[float, int]] = field(default_factory=list)
    produced: int = 0
    produced_series: list[tuple[float, int]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, message: dict[str, Any]) -> None:
        now = time.time()
        with self.lock:
            if "ready" in message:
                self.ready = True
                self.cpu_at_ready = self.cpu_seconds()
            elif "done" in message:
                self.done = message["done"]
                self.first = message["first"]
                self.last = message["last"]
                self.samples.extend((t, lat) for t, lat in message["lat"])
                self.done_series.append((now, self.done))
            elif "hit" in message:  # from a forked child
                at, t = message["hit"]
                self.done += 1
                self.first = at if self.first is None else min(self.first, at)
                self.last = at if self.last is None else max(self.last, at)
                if t is not None:
                    self.samples.append((t, at - t))
                self.done_series.append((now, self.done))
            elif "produced" in message:
                self.produced = message["produced"]
                self.produced_series.append((message["t"], self.produced))
                if message.get("final"):
                    self.results.append(message)
            else:
                self.results.append(message)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the process and its reaped children so far (Linux)."""
        try:
            fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self, grace: float = 15.0) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        # children (a pool's processes) that outlived their parent
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def spawn(name: str, argv: Sequence[str], env: dict[str, str], log_dir: Path) -> Proc:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    popen = subprocess.Popen(
        [str(a) for a in argv],
        stdout=subprocess.PIPE,
        stderr=log.open("ab"),
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        cwd=str(log_dir),
        start_new_session=True,  # its own process group: stop() reaches pool children too
    )
    proc = Proc(name, popen, log)

    def read() -> None:
        assert popen.stdout is not None
        with log.open("ab") as out:
            for line in popen.stdout:
                if line.startswith(PREFIX):
                    try:
                        proc.handle(json.loads(line[len(PREFIX) :]))
                    except (ValueError, KeyError, TypeError) as exc:
                        out.write(f"bad probe line: {exc}: {line[:200]!r}\n".encode())
                else:
                    out.write(line)

    threading.Thread(target=read, name=f"read-{name}", daemon=True).start()
    return proc


def run_to_end(name: str, argv: Sequence[str], env: dict[str, str], log_dir: Path, timeout: float) -> Proc:
    """Run a one-shot command (enqueue, produce, submit) and return its reports."""
    proc = spawn(name, argv, env, log_dir)
    try:
        proc.popen.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.stop(2)
        raise BenchError(f"{name} did not finish within {timeout:.0f}s") from None
    time.sleep(0.05)  # let the reader thread take the last lines
    if proc.popen.returncode != 0:
        raise BenchError(f"{name} exited with {proc.popen.returncode}:\n{proc.tail()}")
    return proc


@contextlib.contextmanager
def running(procs: list[Proc], grace: float = 15.0) -> Iterator[list[Proc]]:
    try:
        yield procs
    finally:
        for proc in procs:
            with contextlib.suppress(Exception):
                if proc.alive():
                    os.killpg(proc.popen.pid, signal.SIGTERM)
        for proc in procs:
            proc.stop(grace)


def percentiles(values: list[float], points: Sequence[float] = (50, 95, 99)) -> dict[str, float | None]:
    if not values:
        return {f"p{p:g}": None for p in points}
    ordered = sorted(values)
    out: dict[str, float | None] = {}
    for p in points:
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        out[f"p{p:g}"] = ordered[index]
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_times() -> dict[str, int] | None:
    """The machine's CPU time so far (/proc/stat, clock ticks): with two readings the report
    tells how much went to other, low-priority (nice) processes during the run."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:8]
    except (OSError, IndexError):
        return None
    return dict(
        zip(("user", "nice", "system", "idle", "iowait", "irq", "softirq"), map(int, fields), strict=True)
    )
