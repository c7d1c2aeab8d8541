"""Celery (Redis broker) for the benchmark; runs in bench/.venv. URL in BENCH_REDIS_URL.

Worker: ``celery worker --pool threads --concurrency --slots``; otherwise Celery's defaults
(early acknowledgement, prefetch multiplier 4, gossip/mingle/heartbeat on), results ignored.
"""

from __future__ import annotations

import os
import time

from _probe import command_line, emit, pace, probe, stamp
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
    def send(n: int) -> None:
        for _ in range(n):  # no bulk enqueue in Celery
            noop.delay(stamp())

    pace(rate, seconds, send)


if __name__ == "__main__":
    command_line(__doc__, worker=worker, enqueue=enqueue, produce=produce)
