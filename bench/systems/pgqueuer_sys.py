"""PgQueuer (PostgreSQL) for the benchmark; runs in bench/.venv. URL in BENCH_PG_URL.

Worker: ``PgQueuer.run`` on its asyncpg driver, ``max_concurrent_tasks=--slots`` and batches
of half that (PgQueuer requires the cap to be at least twice the batch); jobs are deleted on
completion and logged to ``pgqueuer_log`` (its design). Durable tables (its default).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time

import asyncpg
from _probe import Pacer, emit, probe, stamp
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
    pacer = Pacer(rate, seconds)
    while pacer.running:
        if (n := pacer.due()) > 0:
            payload = json.dumps({"t": stamp()}).encode()
            await queries.enqueue(["noop"] * n, [payload] * n, [0] * n)
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
