"""Dramatiq (Redis broker) for the benchmark; runs in bench/.venv. URL in BENCH_REDIS_URL.

Worker: ``dramatiq.Worker`` with ``worker_threads=--slots``; otherwise Dramatiq's defaults
(its default middleware, acknowledgement after the job).
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time

import dramatiq
from _probe import Pacer, emit, probe, stamp
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
    pacer = Pacer(rate, seconds)
    while pacer.running:
        if (n := pacer.due()) > 0:
            for _ in range(n):
                noop.send(stamp())
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
