"""The analytics cache: what reusing an answer saves a dashboard that polls /analytics.

Starts a throwaway Conveyor (scripts/local_stack.py) twice — cache in process, then shared
through a local redis-server — runs ``--jobs`` echo jobs to completion (their events are what
analytics aggregates), then times ``--requests`` sequential GETs of /analytics as the admin over
the last hour: each with a query no one asked before (a miss: computed, then stored), and the
same query again (a hit). Timed at the client.

Run: ``.venv/bin/python bench/analytics_cache.py [--jobs 20000] [--requests 200]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from harness import ensure_redis_server, free_port, wait_until, write_report
from local_stack import running_stack

BATCH = 1000


@contextmanager
def redis_server() -> Iterator[str]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="conveyor-bench-redis-") as tmp:
        proc = subprocess.Popen(
            [ensure_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(lambda: _pong(port), 10, 0.05, "redis-server to start")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(10)


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def run_jobs(api: httpx.Client, count: int) -> None:
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        api.post("/jobs/batch", json={"jobs": [{"type": "echo"}] * size}).raise_for_status()

    def drained() -> bool:
        return all(q["due"] + q["running"] == 0 for q in api.get("/queues").json())

    wait_until(drained, 600, 0.5, "the jobs to finish")


def timed(api: httpx.Client, queries: list[dict[str, str]]) -> dict[str, float]:
    times = []
    for params in queries:
        started = time.perf_counter()
        response = api.get("/analytics", params=params)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
    }


def measure(jobs: int, requests: int, **env: str) -> dict[str, dict[str, float]]:
    with (
        running_stack(CONVEYOR_ANALYTICS_CACHE_SECONDS="60", **env) as stack,
        httpx.Client(
            base_url=f"{stack.api}/api/v1", headers={"Authorization": f"Bearer {stack.admin_key}"}, timeout=60
        ) as api,
    ):
        run_jobs(api, jobs)
        until = datetime.now(UTC)

        def window(offset_us: int) -> dict[str, str]:
            end = until - timedelta(microseconds=offset_us)  # another instant: another query
            return {"since": (end - timedelta(hours=1)).isoformat(), "until": end.isoformat()}

        return {
            "miss (a new query each time)": timed(api, [window(i) for i in range(1, requests + 1)]),
            "hit (the same query)": timed(api, [window(0)] * requests),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]  # the machine may be shared: the report says how busy it was
    results = {"in process": measure(args.jobs, args.requests)}
    with redis_server() as url:
        results["Redis"] = measure(args.jobs, args.requests, CONVEYOR_REDIS_URL=url)
    load = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    out = write_report(
        "analytics-cache",
        {"jobs": args.jobs, "requests": args.requests, "load_average_1m": load, "results": results},
    )
    for store, rows in results.items():
        for name, r in rows.items():
            print(f"| {store} | {name} | {r['p50_ms']} | {r['p95_ms']} |")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
