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

import atexit
import json
import os
import threading
import time
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
