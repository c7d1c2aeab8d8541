"""arq (Redis) for the benchmark; runs in bench/.venv. URL in BENCH_REDIS_URL.

Worker: arq's ``Worker`` with ``max_jobs=--slots`` (asyncio); otherwise its defaults
(polls the queue every 0.5 s, results kept for an hour).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from _probe import command_line, emit, pace_async, probe, stamp
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
    await pace_async(rate, seconds, lambda n: _enqueue(pool, n, stamp()))
    await pool.aclose()


if __name__ == "__main__":
    command_line(__doc__, worker=worker, enqueue=enqueue, produce=produce)
