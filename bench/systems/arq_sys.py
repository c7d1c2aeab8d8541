"""arq (Redis) for the benchmark; runs in bench/.venv. URL in BENCH_REDIS_URL.

Worker: arq's ``Worker`` with ``max_jobs=--slots`` (asyncio); otherwise its defaults
(polls the queue every 0.5 s, results kept for an hour).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from _probe import Pacer, emit, probe, stamp
from arq import Worker, create_pool
from arq.connections import RedisSettings
from arq.worker import func


async def noop(ctx: dict[str, Any], t: float | None = None) -> None:
    probe.hit(t)


async def _startup(ctx: dict[str, Any]) -> None:
    probe.ready()


def settings() -> RedisSettings:
    return RedisSettings.from_dsn(os.environ["BENCH_REDIS_URL"])


def worker(slots: int) -> None:
    w = Worker(
        functions=[func(noop, name="noop")],
        redis_settings=settings(),
        max_jobs=slots,
        on_startup=_startup,
    )
    w.run()


async def _enqueue(pool: Any, n: int, t: float | None) -> None:
    kwargs = {"t": t} if t is not None else {}
    for start in range(0, n, 200):  # no bulk enqueue in arq: concurrent single enqueues
        await asyncio.gather(*(pool.enqueue_job("noop", **kwargs) for _ in range(min(200, n - start))))


async def enqueue(jobs: int) -> None:
    pool = await create_pool(settings())
    started = time.perf_counter()
    await _enqueue(pool, jobs, None)
    emit({"enqueued": jobs, "seconds": time.perf_counter() - started})
    await pool.aclose()


async def produce(rate: float, seconds: float) -> None:
    pool = await create_pool(settings())
    pacer = Pacer(rate, seconds)
    while pacer.running:
        if (n := pacer.due()) > 0:
            await _enqueue(pool, n, stamp())
            pacer.add(n)
        else:
            await asyncio.sleep(0.005)
    pacer.finish()
    await pool.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("worker").add_argument("--slots", type=int, required=True)
    sub.add_parser("enqueue").add_argument("--jobs", type=int, required=True)
    p = sub.add_parser("produce")
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    if args.command == "worker":
        worker(args.slots)
    elif args.command == "enqueue":
        asyncio.run(enqueue(args.jobs))
    else:
        asyncio.run(produce(args.rate, args.seconds))


if __name__ == "__main__":
    main()
