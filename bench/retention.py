"""Claim throughput with an empty history vs 1,000,000 finished jobs retained.

The design requires the claim path to stay within 20% of the empty-table rate when a million
finished jobs are kept. Two measurements per case, on a durable embedded PostgreSQL
(fsync and synchronous_commit on):

- claim+complete: the engine's own ``claim`` and ``complete`` queries in batches of 100,
  no handler work — the hot path alone;
- burn-down: a real in-process worker (concurrency 100) running no-op jobs end to end.

Run: ``.venv/bin/python bench/retention.py [--jobs 20000] [--history 1000000]`` (project
environment; ``make bench`` runs it with ``--rounds 1`` against the harness's server).
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
from conveyor.factories import blocking, finished_history, jobs_in_states
from conveyor.handlers import discover
from conveyor.store import migrate
from conveyor.store.database import Pool, fetch_all, open_pool
from conveyor.telemetry.logging import configure_logging

RESULTS = Path(__file__).parent / "results"


async def claim_and_complete(pool: Pool, jobs: Jobs, count: int) -> float:
    await jobs_in_states(jobs, [JobSpec(type="noop")] * count)
    completer = Completer(pool, "bench")
    started = time.perf_counter()
    done = 0
    while done < count:
        rows = await fetch_all(
            pool, sql("claim"), queue="default", limit=100, worker_id="bench", lease_seconds=60
        )
        await completer._write([Outcome(r["id"], r["attempts"], "succeeded") for r in rows])
        done += len(rows)
    return count / (time.perf_counter() - started)


async def burn_down(pool: Pool, jobs: Jobs, url: str, count: int) -> float:
    await jobs_in_states(jobs, [JobSpec(type="noop")] * count)
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
    async def timed(engine: Jobs) -> float:
        started = time.perf_counter()
        await finished_history(engine.pool, rows)
        return time.perf_counter() - started

    return blocking(url, timed)


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


def run(url: str, jobs_count: int, history: int, rounds: int) -> dict[str, Any]:
    migrate.upgrade(url)
    with psycopg.connect(url) as conn:
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("fsync", "synchronous_commit", "server_version", "shared_buffers")
        }
    print(f"PostgreSQL {settings}", flush=True)
    asyncio.run(measure(url, jobs_count // 4, 1))  # warm-up: caches, prepared statements
    clear_history(url)
    empty = asyncio.run(measure(url, jobs_count, rounds))
    print(f"empty history:            {empty}", flush=True)
    seconds = add_history(url, history)
    print(f"added {history:,} finished jobs in {seconds:.1f}s", flush=True)
    full = asyncio.run(measure(url, jobs_count, rounds))
    print(f"{history:,} finished kept: {full}", flush=True)
    ratios = {k: full[k] / empty[k] for k in empty}
    print("ratio (retained / empty): " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()), flush=True)
    return {
        "benchmark": "retention",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "jobs": jobs_count,
        "history": history,
        "history_insert_seconds": round(seconds, 1),
        "rounds": rounds,
        "postgres": settings,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "empty": empty,
        "retained": full,
        "ratio": ratios,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2, help="best of N per case")
    parser.add_argument("--url", help="an existing, empty database to use (default: a new embedded server)")
    parser.add_argument("--out", type=Path, help="where to write the JSON result")
    args = parser.parse_args()
    configure_logging("bench", "warning")

    if args.url:
        result = run(args.url, args.jobs, args.history, args.rounds)
    else:
        import pgserver

        with tempfile.TemporaryDirectory(prefix="conveyor-bench-") as tmp:
            server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
            try:
                result = run(server.get_uri(), args.jobs, args.history, args.rounds)
            finally:
                server.cleanup()
    out = args.out or RESULTS / f"retention-{datetime.now(UTC):%Y-%m-%d}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
