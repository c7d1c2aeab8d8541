"""The drills' steady load: submits at a fixed rate through the API, and a log line for every
job the API acknowledged (201) — the ground truth recovery is checked against, row by row.

Each job carries a unique token in its payload: after a restore the id sequence can hand a lost
job's id to a new one, so a job is recognised by its token, never by its id alone.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


@dataclass
class Acknowledged:
    token: str
    job_id: int
    acked_at: float


@dataclass
class LoadGenerator:
    """Submits ``rate`` jobs a second to the API at ``api_url()`` until stopped."""

    api_url: str
    api_key: str
    log_path: Path
    rate: float = 20.0
    job_type: str = "noop"
    payload: dict[str, Any] = field(default_factory=dict)
    acknowledged: list[Acknowledged] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds, acknowledged submits only
    outcomes: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> LoadGenerator:
        self._thread = threading.Thread(target=self._run, name="drill-load", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def acked(self) -> list[Acknowledged]:
        with self._lock:
            return list(self.acknowledged)

    def outcome_counts(self) -> dict[str, int]:
        """Submits so far by outcome: the HTTP status, or the client error's name."""
        with self._lock:
            return dict(self.outcomes)

    def _run(self) -> None:
        interval = 1.0 / self.rate
        headers = {"Authorization": f"Bearer {self.api_key}"}
        with (
            httpx.Client(base_url=self.api_url, headers=headers, timeout=5) as client,
            self.log_path.open("a") as log,
        ):
            next_at = time.monotonic()
            while not self._stop.is_set():
                token = uuid.uuid4().hex
                body = {"type": self.job_type, "payload": {**self.payload, "token": token}}
                sent = time.perf_counter()
                try:
                    response = client.post("/api/v1/jobs", json=body)
                    outcome = str(response.status_code)
                except httpx.HTTPError as exc:
                    response, outcome = None, type(exc).__name__
                with self._lock:
                    self.outcomes[outcome] += 1
                    if response is not None and response.status_code == 201:
                        ack = Acknowledged(token, int(response.json()["id"]), time.time())
                        self.acknowledged.append(ack)
                        self.latencies.append(time.perf_counter() - sent)
                        log.write(json.dumps(ack.__dict__) + "\n")
                        log.flush()
                next_at += interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_at = time.monotonic()


def read_log(path: Path) -> list[Acknowledged]:
    return [Acknowledged(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
