"""procrastinate (PostgreSQL) for the benchmark; runs in bench/.venv. URL in BENCH_PG_URL.

Worker: ``App.run_worker_async`` with ``concurrency=--slots`` (asyncio), LISTEN/NOTIFY on,
jobs kept after completion (its default, ``delete_jobs="never"``), a pool of up to 10
connections.
"""

from __future__ import annotations

import os
import time

import procrastinate
from _probe import command_line, emit, pace_async, probe, stamp

# A pool of up to 10 connections, like Conveyor's worker (psycopg_pool's default is a fixed 4).
app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(conninfo=os.environ["BENCH_PG_URL"], min_size=4, max_size=10)
)


@app.task(name="noop", queue="default")
async def noop(t: float | None = None) -> None:
    probe.hit(t)


async def worker(slots: int) -> None:
    async with app.open_async():
        probe.ready()
        await app.run_worker_async(queues=["default"], concurrency=slots, listen_notify=True)


async def schema() -> None:
    async with app.open_async():
        await app.schema_manager.apply_schema_async()


async def enqueue(jobs: int) -> None:
    async with app.open_async():
        started = time.perf_counter()
        for start in range(0, jobs, 1000):
            await noop.batch_defer_async(*({} for _ in range(min(1000, jobs - start))))
        emit({"enqueued": jobs, "seconds": time.perf_counter() - started})


async def produce(rate: float, seconds: float) -> None:
    async with app.open_async():

        async def send(n: int) -> None:
            t = stamp()
            await noop.batch_defer_async(*({"t": t} for _ in range(n)))

        await pace_async(rate, seconds, send)


if __name__ == "__main__":
    command_line(__doc__, worker=worker, enqueue=enqueue, produce=produce, schema=schema)
