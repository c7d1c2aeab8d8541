"""RQ (Redis) for the benchmark; runs in bench/.venv. URL in BENCH_REDIS_URL.

RQ runs one job at a time per worker process, forking a "work horse" per job (its default
``Worker``): its slots are its processes, so it gets the budget's processes and no more.
"""

from __future__ import annotations

import os
import time

from _probe import command_line, emit, pace, probe, stamp
from redis import Redis
from rq import Queue, Worker

FUNC = "rq_sys.noop"


def noop(t: float | None = None) -> None:
    probe.hit(t)


def connection() -> Redis:
    return Redis.from_url(os.environ["BENCH_REDIS_URL"])


def worker(slots: int) -> None:
    redis = connection()
    w = Worker([Queue("default", connection=redis)], connection=redis)
    probe.ready()
    w.work(logging_level="WARNING")


def _enqueue(queue: Queue, n: int, t: float | None) -> None:
    kwargs = {"t": t} if t is not None else None
    queue.enqueue_many([Queue.prepare_data(FUNC, kwargs=kwargs) for _ in range(n)])


def enqueue(jobs: int) -> None:
    queue = Queue("default", connection=connection())
    started = time.perf_counter()
    for start in range(0, jobs, 1000):
        _enqueue(queue, min(1000, jobs - start), None)
    emit({"enqueued": jobs, "seconds": time.perf_counter() - started})


def produce(rate: float, seconds: float) -> None:
    queue = Queue("default", connection=connection())
    pace(rate, seconds, lambda n: _enqueue(queue, n, stamp()))


if __name__ == "__main__":
    command_line(__doc__, worker=worker, enqueue=enqueue, produce=produce)
