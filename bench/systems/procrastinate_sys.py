"""procrastinate (PostgreSQL) for the benchmark; runs in bench/.venv. URL in BENCH_PG_URL.

Worker: ``App.run_worker_async`` with ``concurrency=--slots`` (asyncio), LISTEN/NOTIFY on,
jobs kept after completion (its default, ``delete_jobs="never"``), a pool of up to 10
connections.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

import procrastinate
from _probe import Pacer, emit, probe, stamp

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
        pacer = Pacer(rate, seconds)
        while pacer.running:
            if (n := pacer.due()) > 0:
                t = stamp()
                await noop.batch_defer_async(*({"t": t} for _ in range(n)))
                pacer.add(n)
            else:
                await asyncio.sleep(0.005)
        pacer.finish()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("worker").add_argument("--slots", type=int, required=True)
    sub.add_parser("schema")
    sub.add_parser("enqueue").add_argument("--jobs", type=int, required=True)
    p = sub.add_parser("produce")
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    if args.command == "worker":
        asyncio.run(worker(args.slots))
    elif args.command == "schema":
        asyncio.run(schema())
    elif args.command == "enqueue":
        asyncio.run(enqueue(args.jobs))
    else:
        asyncio.run(produce(args.rate, args.seconds))


if __name__ == "__main__":
    main()
