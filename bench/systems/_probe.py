"""What every benchmark process reports to the harness: standard library only, any venv.

Workers call ``probe.hit(t)`` at the start of each job, with ``t`` the wall-clock time the
producer stamped into the payload just before enqueueing (``None`` for pre-enqueued jobs).
The probe counts, keeps the first and last hit times, and collects pickup latencies
(``now - t``). A reporter thread streams them to the harness every 50 ms as JSON lines that
start with ``@@BENCH``, on a duplicate of the process's original stdout taken at import time
(Celery and friends may redirect ``sys.stdout``; the harness ignores every other line).

A job that runs in a forked child (RQ forks a "work horse" per job) cannot share the parent's
counters: there the hit is written straight to the pipe as its own line.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import inspect
import json
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

PREFIX = b"@@BENCH "
_FD = os.dup(1)


def emit(message: dict[str, Any]) -> None:
    data = PREFIX + json.dumps(message, separators=(",", ":")).encode() + b"\n"
    while data:  # a large write to a pipe may be partial
        written = os.write(_FD, data)
        data = data[written:]


class Probe:
    def __init__(self, interval: float = 0.05) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.done = 0
        self.first: float | None = None
        self.last: float | None = None
        self.samples: list[tuple[float, float]] = []
        self.reported = -1
        self.interval = interval
        self._thread = threading.Thread(target=self._report_loop, name="bench-probe", daemon=True)
        self._thread.start()
        atexit.register(self.report)

    def hit(self, t: float | None = None) -> None:
        now = time.time()
        if os.getpid() != self.pid:  # a forked child: its counters die with it
            emit({"hit": [now, t]})
            return
        with self.lock:
            self.done += 1
            if self.first is None:
                self.first = now
            self.last = now
            if t is not None:
                self.samples.append((t, now - t))

    def ready(self, **info: Any) -> None:
        emit({"ready": True, "pid": self.pid, **info})

    def report(self) -> None:
        if os.getpid() != self.pid:
            return
        with self.lock:
            if self.done == self.reported:
                return
            samples, self.samples = self.samples, []
            message = {"done": self.done, "first": self.first, "last": self.last, "lat": samples}
            self.reported = self.done
        emit(message)

    def _report_loop(self) -> None:
        while True:
            time.sleep(self.interval)
            self.report()


probe = Probe()


def stamp() -> float:
    """The enqueue timestamp a producer puts into each payload."""
    return time.time()


class Pacer:
    """Paces a producer at ``rate`` jobs/s for ``seconds``: ask ``due()`` how many to enqueue
    now (a slow enqueue makes the next batch bigger, not the rate lower), then ``add(n)``."""

    def __init__(self, rate: float, seconds: float, max_batch: int = 1000) -> None:
        self.rate, self.seconds, self.max_batch = rate, seconds, max_batch
        self.t0 = time.time()
        self.produced = 0
        self._reported = 0.0

    @property
    def running(self) -> bool:
        now = time.time()
        if now - self._reported >= 0.05:
            emit({"produced": self.produced, "t": now, "t0": self.t0})
            self._reported = now
        return now < self.t0 + self.seconds

    def due(self) -> int:
        return min(self.max_batch, int(self.rate * (time.time() - self.t0)) - self.produced)

    def add(self, n: int) -> None:
        self.produced += n

    def finish(self) -> None:
        emit({"produced": self.produced, "t": time.time(), "t0": self.t0, "final": True})


def pace(rate: float, seconds: float, send: Callable[[int], None]) -> None:
    """Call ``send(n)`` to enqueue n jobs, as often as keeps ``rate`` jobs/s for ``seconds``."""
    pacer = Pacer(rate, seconds)
    while pacer.running:
        if (n := pacer.due()) > 0:
            send(n)
            pacer.add(n)
        else:
            time.sleep(0.005)
    pacer.finish()


async def pace_async(rate: float, seconds: float, send: Callable[[int], Awaitable[None]]) -> None:
    """``pace`` for an asyncio producer."""
    pacer = Pacer(rate, seconds)
    while pacer.running:
        if (n := pacer.due()) > 0:
            await send(n)
            pacer.add(n)
        else:
            await asyncio.sleep(0.005)
    pacer.finish()


def command_line(
    doc: str | None,
    *,
    worker: Callable[[int], Any],
    enqueue: Callable[[int], Any],
    produce: Callable[[float, float], Any],
    schema: Callable[[], Any] | None = None,
) -> None:
    """The command line every peer's script has: ``worker --slots``, ``enqueue --jobs``,
    ``produce --rate --seconds`` (and ``schema`` where the system has one). Coroutine
    functions run under ``asyncio.run``."""
    parser = argparse.ArgumentParser(description=doc)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("worker").add_argument("--slots", type=int, required=True)
    sub.add_parser("enqueue").add_argument("--jobs", type=int, required=True)
    p = sub.add_parser("produce")
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--seconds", type=float, required=True)
    if schema:
        sub.add_parser("schema")
    args = parser.parse_args()
    calls: dict[str, Callable[[], Any]] = {
        "worker": lambda: worker(args.slots),
        "enqueue": lambda: enqueue(args.jobs),
        "produce": lambda: produce(args.rate, args.seconds),
    }
    if schema:
        calls["schema"] = schema
    result = calls[args.command]()
    if inspect.isawaitable(result):
        asyncio.run(result)  # type: ignore[arg-type]
