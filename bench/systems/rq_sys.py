"""RQ (Redis) for the benchmark; runs in bench/.venv. URL in BENCH_REDIS_URL.

RQ runs one job at a time per worker process, forking a "work horse" per job (its default
``Worker``): its slots are its processes, so it gets the budget's processes and no more.
"""

from __future__ import annotations

import argparse
import os
import time

from _probe import Pacer, emit, probe, stamp
from redis import Redis
from rq import Queue, Worker

FUNC = "rq_sys.noop"


def noop(t: float | None = None) -> None:
    probe.hit(t)


def connection() -> Redis:
    return Redis.from_url(os.environ["BENCH_REDIS_URL"])


def worker() -> None:
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
    pacer = Pacer(rate, seconds)
    while pacer.running:
        if (n := pacer.due()) > 0:
            _enqueue(queue, n, stamp())
            pacer.add(n)
        else:
            time.sleep(0.005)
    pacer.finish()


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
        worker()
    elif args.command == "enqueue":
        enqueue(args.jobs)
    else:
        produce(args.rate, args.seconds)


if __name__ == "__main__":
    main()
