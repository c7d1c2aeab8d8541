"""Celery (Redis broker) for the benchmark; runs in bench/.venv. URL in BENCH_REDIS_URL.

Worker: ``celery worker --pool threads --concurrency --slots``; otherwise Celery's defaults
(early acknowledgement, prefetch multiplier 4, gossip/mingle/heartbeat on), results ignored.
"""

from __future__ import annotations

import argparse
import os
import time

from _probe import Pacer, emit, probe, stamp
from celery import Celery
from celery.signals import worker_ready

app = Celery("bench", broker=os.environ["BENCH_REDIS_URL"])
app.conf.update(
    task_ignore_result=True,
    worker_redirect_stdouts=False,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.task(name="noop")
def noop(t: float | None = None) -> None:
    probe.hit(t)


@worker_ready.connect
def _ready(**_: object) -> None:
    probe.ready()


def worker(slots: int) -> None:
    app.worker_main(
        ["worker", "--pool=threads", f"--concurrency={slots}", "--loglevel=WARNING", "-Q", "celery"]
    )


def enqueue(jobs: int) -> None:
    started = time.perf_counter()
    for _ in range(jobs):
        noop.delay()
    emit({"enqueued": jobs, "seconds": time.perf_counter() - started})


def produce(rate: float, seconds: float) -> None:
    pacer = Pacer(rate, seconds)
    while pacer.running:
        if (n := pacer.due()) > 0:
            for _ in range(n):  # no bulk enqueue in Celery
                noop.delay(stamp())
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
        worker(args.slots)
    elif args.command == "enqueue":
        enqueue(args.jobs)
    else:
        produce(args.rate, args.seconds)


if __name__ == "__main__":
    main()
