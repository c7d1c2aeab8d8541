"""Dramatiq (Redis broker) for the benchmark; runs in bench/.venv. URL in BENCH_REDIS_URL.

Worker: ``dramatiq.Worker`` with ``worker_threads=--slots``; otherwise Dramatiq's defaults
(its default middleware, acknowledgement after the job).
"""

from __future__ import annotations

import os
import signal
import threading
import time

import dramatiq
from _probe import command_line, emit, pace, probe, stamp
from dramatiq.brokers.redis import RedisBroker

broker = RedisBroker(url=os.environ["BENCH_REDIS_URL"])
dramatiq.set_broker(broker)


@dramatiq.actor(actor_name="noop", queue_name="default")
def noop(t: float | None = None) -> None:
    probe.hit(t)


def worker(slots: int) -> None:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    w = dramatiq.Worker(broker, worker_threads=slots)
    w.start()
    probe.ready()
    stop.wait()
    w.stop()
    broker.close()


def enqueue(jobs: int) -> None:
    started = time.perf_counter()
    for _ in range(jobs):  # no bulk enqueue in Dramatiq
        noop.send()
    emit({"enqueued": jobs, "seconds": time.perf_counter() - started})


def produce(rate: float, seconds: float) -> None:
    def send(n: int) -> None:
        for _ in range(n):
            noop.send(stamp())

    pace(rate, seconds, send)


if __name__ == "__main__":
    command_line(__doc__, worker=worker, enqueue=enqueue, produce=produce)
