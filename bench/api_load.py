"""The API load test: Locust, headless, loopback only, against a real ``conveyor api``.

Offered rates rise step by step (each a fresh, time-bounded Locust run); a step passes when
Locust delivered at least 95% of the offered rate with zero errors and p95 under 200 ms
over all requests. The report is the highest passing rate and each step's per-endpoint
throughput and p50/p95/p99.
"""

from __future__ import annotations

import csv
import subprocess
import time
from collections.abc import Callable
from typing import Any

from catalog import ConveyorAPI, _pg_exec
from harness import BENCH, BENCH_PYTHON, BenchError
from measure import start_workers, wait_ready

P95_LIMIT_MS = 200.0
SEED_JOBS = 100_000


def seed(system: ConveyorAPI, rows: int = SEED_JOBS) -> None:
    """History for the list and get endpoints to read: finished jobs with their ids 1..rows, made
    by the project's ``finished_history`` factory (through the driver, in the project environment)."""
    _pg_exec(system.url, "TRUNCATE conveyor.jobs, conveyor.job_events RESTART IDENTITY")
    subprocess.run(system.argv("history", "--rows", rows), env=system.env(), check=True, capture_output=True)


def locust_step(system: ConveyorAPI, rate: int, seconds: int, tag: str) -> dict[str, Any]:
    assert system.ctx
    out = system.ctx.run_dir / "locust" / f"{tag}-{rate}"
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        str(BENCH_PYTHON),
        "-m",
        "locust",
        "-f",
        str(BENCH / "locustfile.py"),
        "--headless",
        "--host",
        system.api_url,
        "--users",
        str(rate),
        "--spawn-rate",
        str(max(rate, 1)),  # every client within the first second
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "5",
        "--only-summary",
        "--csv",
        str(out),
        "--loglevel",
        "WARNING",
    ]
    env = {"BENCH_API_KEY": system.key, "BENCH_SEED_MAX_ID": str(SEED_JOBS), "PATH": "/usr/bin:/bin"}
    started = time.time()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    elapsed = time.time() - started
    stats_file = out.with_name(out.name + "_stats.csv")
    if not stats_file.exists():
        raise BenchError(f"locust wrote no stats (exit {result.returncode}):\n{result.stderr[-2000:]}")
    endpoints: dict[str, Any] = {}
    with stats_file.open() as f:
        for row in csv.DictReader(f):
            name = row["Name"] if row["Name"] != "Aggregated" else "all"
            endpoints[name] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "req_per_s": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]) if row["50%"] != "N/A" else None,
                "p95_ms": float(row["95%"]) if row["95%"] != "N/A" else None,
                "p99_ms": float(row["99%"]) if row["99%"] != "N/A" else None,
            }
    total = endpoints.get("all", {"requests": 0, "failures": 1, "req_per_s": 0.0, "p95_ms": None})
    passed = (
        total["failures"] == 0
        and total["requests"] > 0
        and total["req_per_s"] >= 0.95 * rate
        and (total["p95_ms"] or 1e9) < P95_LIMIT_MS
    )
    return {
        "offered_rate": rate,
        "seconds": seconds,
        "wall_seconds": round(elapsed, 1),
        "passed": passed,
        "endpoints": endpoints,
    }


def load_test(
    system: ConveyorAPI,
    rates: list[int],
    seconds: int,
    progress: Callable[[float, float], None],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Seed, start one worker process (jobs submitted during the test get run, as in life), then
    step through ``rates`` until a step fails."""
    seed(system)
    system.start_api()
    workers = start_workers(system, "locust", count=1)
    steps: list[dict[str, Any]] = []
    try:
        wait_ready(workers)
        locust_step(system, rates[0], 4, "warmup")  # connections, prepared statements, caches: not counted
        for i, rate in enumerate(rates):
            progress(i, len(rates))
            step = locust_step(system, rate, seconds, "step")
            steps.append(step)
            total = step["endpoints"].get("all", {})
            log(
                f"API {rate} req/s offered: {total.get('req_per_s', 0):,.0f} req/s, p95 {total.get('p95_ms')} ms,"
                f" {total.get('failures', '?')} errors -> {'pass' if step['passed'] else 'fail'}"
            )
            if not step["passed"]:
                break
        progress(len(rates), len(rates))
    finally:
        for w in workers:
            w.stop()
        system.stop_api()
    passing = [s["offered_rate"] for s in steps if s["passed"]]
    return {
        "p95_limit_ms": P95_LIMIT_MS,
        "seed_jobs": SEED_JOBS,
        "max_rate_p95_under_limit": max(passing) if passing else 0,
        "steps": steps,
    }
