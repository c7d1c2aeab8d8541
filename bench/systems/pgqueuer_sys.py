"""PgQueuer (PostgreSQL) for the benchmark; runs in bench/.venv. URL in BENCH_PG_URL.

Worker: ``PgQueuer.run`` on its asyncpg driver, ``max_concurrent_tasks=--slots`` and batches
of half that (PgQueuer requires the cap to be at least twice the batch); jobs are deleted on
completion and logged to ``pgqueuer_log`` (its design). Durable tables (its default).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time

import asyncpg
from _probe import command_line, emit, pace_async, probe, stamp
from pgqueuer import AsyncpgDriver, PgQueuer, Queries
from pgqueuer.models import Job

URL = os.environ["BENCH_PG_URL"]


async def connect() -> AsyncpgDriver:
    return AsyncpgDriver(await asyncpg.connect(URL))


async def worker(slots: int) -> None:
    pgq = PgQueuer(await connect())

    @pgq.entrypoint("noop")
    async def noop(job: Job) -> None:
        probe.hit(json.loads(job.payload)["t"] if job.payload else None)

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, pgq.shutdown.set)
    probe.ready()
    await pgq.run(batch_size=max(1, slots // 2), max_concurrent_tasks=slots)


async def schema() -> None:
    queries = Queries(await connect())
    if not await queries.schema_is_installed():
        await queries.install()


async def enqueue(jobs: int) -> None:
    queries = Queries(await connect())
    started = time.perf_counter()
    for start in range(0, jobs, 1000):
        n = min(1000, jobs - start)
        await queries.enqueue(["noop"] * n, [None] * n, [0] * n)
    emit({"enqueued": jobs, "seconds": time.perf_counter() - started})


async def produce(rate: float, seconds: float) -> None:
    queries = Queries(await connect())

    async def send(n: int) -> None:
        payload = json.dumps({"t": stamp()}).encode()
        await queries.enqueue(["noop"] * n, [payload] * n, [0] * n)

    await pace_async(rate, seconds, send)


if __name__ == "__main__":
    command_line(__doc__, worker=worker, enqueue=enqueue, produce=produce, schema=schema)
