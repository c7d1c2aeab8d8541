"""Claim throughput with an empty history vs 1,000,000 finished jobs retained.

Issue 2 requires the claim path to stay within 20% of the empty-table rate when a million
finished jobs are kept. Two measurements per case, on a durable embedded PostgreSQL
(fsync and synchronous_commit on):

- claim+complete: the engine's own ``claim`` and ``complete`` queries in batches of 100,
  no handler work — the hot path alone;
- burn-down: a real in-process worker (concurrency 100) running no-op jobs end to end.

Run: ``.venv/bin/python bench/retention.py [--jobs 20000] [--history 1000000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from conveyor.engine.completer import Completer, Outcome
from conveyor.engine.jobs import EngineDefaults, Jobs
from conveyor.engine.models import JobSpec
from conveyor.engine.queries import sql
from conveyor.engine.worker import Worker, WorkerConfig
from conveyor.handlers import discover
from conveyor.store import migrate
from conveyor.store.database import Pool, open_pool
from conveyor.telemetry.logging import configure_logging

RESULTS = Path(__file__).parent / "results"


async def enqueue(jobs: Jobs, count: int) -> None:
    for start in range(0, count, 1000):
        await jobs.enqueue([JobSpec(type="noop")] * min(1000, count - start))


async def claim_and_complete(pool: Pool, jobs: Jobs, count: int) -> float:
    await enqueue(jobs, count)
    completer = Completer(pool, "bench")
    started = time.perf_counter()
    done = 0
    while done < count:
        async with pool.connection() as conn:
            rows = await (
                await conn.execute(
                    sql("claim"),
                    {
                        "queue": "default",
                        "limit": 100,
                        "worker_id": "bench",
                        "lease_seconds": 60,
                    },
                )
            ).fetchall()
        await completer._write([Outcome(r["id"], r["attempts"], "succeeded") for r in rows])
        done += len(rows)
    return count / (time.perf_counter() - started)


async def burn_down(pool: Pool, jobs: Jobs, url: str, count: int) -> float:
    await enqueue(jobs, count)
    registry = discover()
    worker = Worker(
        pool,
        registry,
        WorkerConfig(queues=["default"], concurrency=100, batch_size=100, listen_url=url, poll_interval=0.05),
    )
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(worker.run(stop))
    while True:
        async with pool.connection() as conn:
            row = await (
                await conn.execute(
                    # Unfinished states only, so this progress check reads an index, not the history.
                    "SELECT count(*) AS n FROM conveyor.jobs"
                    " WHERE state IN ('scheduled', 'queued', 'running', 'retrying')"
                )
            ).fetchone()
        if row and row["n"] == 0:
            break
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    return count / elapsed


def add_history(url: str, rows: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO conveyor.jobs (queue, type, payload, state, max_attempts, timeout_seconds,"
            " attempts, started_at, finished_at, result)"
            " SELECT 'default', 'noop', '{}', 'succeeded', 5, 300, 1, now() - interval '1 hour',"
            "        now() - interval '1 hour', 'null'"
            " FROM generate_series(1, %s)",
            [rows],
        )
        conn.execute("VACUUM ANALYZE conveyor.jobs")
        conn.execute("VACUUM ANALYZE conveyor.job_events")
    return time.perf_counter() - started


def clear_history(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE conveyor.jobs, conveyor.job_events")


def clear_unfinished(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM conveyor.jobs WHERE finished_at > now() - interval '10 minutes'")
        conn.execute("VACUUM ANALYZE conveyor.jobs")


async def measure(url: str, jobs_count: int, rounds: int) -> dict[str, float]:
    pool = await open_pool(url, size=10, name="bench")
    await pool.wait()
    jobs = Jobs(pool, discover(), EngineDefaults(5, 300, 262144, True))
    claim_rates, burn_rates = [], []
    try:
        for _ in range(rounds):
            claim_rates.append(await claim_and_complete(pool, jobs, jobs_count))
            clear_unfinished(url)
            burn_rates.append(await burn_down(pool, jobs, url, jobs_count))
            clear_unfinished(url)
    finally:
        await pool.close()
    return {"claim_complete_jobs_per_s": max(claim_rates), "burn_down_jobs_per_s": max(burn_rates)}


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2, help="best of N per case")
    args = parser.parse_args()
    configure_logging("bench", "warning")

    import pgserver

    with tempfile.TemporaryDirectory(prefix="conveyor-bench-") as tmp:
        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        url = server.get_uri()
        migrate.upgrade(url)
        with psycopg.connect(url) as conn:
            settings = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                for name in ("fsync", "synchronous_commit", "server_version", "shared_buffers")
            }
        print(f"PostgreSQL {settings}")
        asyncio.run(measure(url, args.jobs // 4, 1))  # warm-up: caches, prepared statements
        clear_history(url)
        empty = asyncio.run(measure(url, args.jobs, args.rounds))
        print(f"empty history:            {empty}")
        seconds = add_history(url, args.history)
        print(f"added {args.history:,} finished jobs in {seconds:.1f}s")
        full = asyncio.run(measure(url, args.jobs, args.rounds))
        print(f"{args.history:,} finished kept: {full}")
        server.cleanup()

    ratios = {k: full[k] / empty[k] for k in empty}
    print("ratio (retained / empty): " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))
    result: dict[str, Any] = {
        "benchmark": "retention",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "jobs": args.jobs,
        "history": args.history,
        "rounds": args.rounds,
        "postgres": settings,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "empty": empty,
        "retained": full,
        "ratio": ratios,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"retention-{datetime.now(UTC):%Y-%m-%d}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
