"""Conveyor's side of the benchmark; runs in the project environment (../.venv).

worker        the real ``conveyor worker`` process (settings from CONVEYOR_* variables),
              with the built-in ``noop`` type swapped for one that reports to the probe
enqueue       pre-enqueue --jobs no-op jobs through the engine, batches of 1,000
produce       enqueue at --rate jobs/s for --seconds, one batch per 10 ms tick
api-submit    submit --jobs through the HTTP API, --batch jobs per request, --clients at once
history       add --rows finished jobs (``factories.finished_history``), payloads numbered
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _probe import emit, pace_async, probe, stamp
from pydantic import BaseModel, ConfigDict

from conveyor.handlers.registry import JobContext, Registry

registry = Registry()


class Stamped(BaseModel):
    """Like the built-in noop's payload (any fields), with the producer's timestamp."""

    model_config = ConfigDict(extra="allow")
    t: float | None = None


@registry.handler("noop")
async def noop(payload: Stamped, ctx: JobContext) -> None:
    probe.hit(payload.t)


def worker() -> None:
    from conveyor import processes
    from conveyor.settings import Settings

    class ReportingWorker(processes.Worker):
        async def run(self, stop: asyncio.Event) -> None:
            probe.ready(worker_id=self.worker_id)
            await super().run(stop)

    processes.discover = lambda: registry  # type: ignore[assignment]
    processes.Worker = ReportingWorker  # type: ignore[misc]
    settings = Settings()
    processes.run_worker(settings, settings.worker_port, "127.0.0.1")


async def _jobs() -> Any:
    from conveyor.engine.jobs import EngineDefaults, Jobs
    from conveyor.handlers import discover
    from conveyor.settings import Settings
    from conveyor.store.database import open_pool

    settings = Settings()
    assert settings.database_url, "CONVEYOR_DATABASE_URL must be set"
    pool = await open_pool(settings.database_url, size=2, name="bench-producer")
    await pool.wait()
    return pool, Jobs(pool, discover(), EngineDefaults.from_settings(settings))


async def enqueue(count: int, batch: int) -> None:
    from conveyor.engine.models import JobSpec

    pool, jobs = await _jobs()
    started = time.perf_counter()
    for start in range(0, count, batch):
        await jobs.enqueue([JobSpec(type="noop") for _ in range(min(batch, count - start))])
    emit({"enqueued": count, "seconds": time.perf_counter() - started})
    await pool.close()


async def history(rows: int) -> None:
    from conveyor.factories import finished_history
    from conveyor.store.database import open_pool

    pool = await open_pool(os.environ["CONVEYOR_DATABASE_URL"], size=1, name="bench-history")
    await pool.wait()
    await finished_history(pool, rows, numbered=True)
    await pool.close()


async def produce(rate: float, seconds: float) -> None:
    from conveyor.engine.models import JobSpec

    pool, jobs = await _jobs()

    async def send(n: int) -> None:
        t = stamp()
        await jobs.enqueue([JobSpec(type="noop", payload={"t": t}) for _ in range(n)])

    await pace_async(rate, seconds, send)
    await pool.close()


async def api_submit(url: str, key: str, count: int, batch: int, clients: int, stamped: bool) -> None:
    import httpx

    chunks = [min(batch, count - start) for start in range(0, count, batch)]
    errors = 0
    submitted = 0
    latencies: list[float] = []

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors, submitted
        while chunks:
            n = chunks.pop()
            payload = {"t": stamp()} if stamped else {}
            t0 = time.perf_counter()
            if batch == 1:
                response = await http.post("/api/v1/jobs", json={"type": "noop", "payload": payload})
            else:
                body = {"jobs": [{"type": "noop", "payload": payload}] * n}
                response = await http.post("/api/v1/jobs/batch", json=body)
            latencies.append(time.perf_counter() - t0)
            if response.status_code >= 300:
                errors += 1
                if errors <= 3:
                    print(f"submit failed: {response.status_code} {response.text[:300]}", file=sys.stderr)
            else:
                submitted += n

    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as http:
        t0 = time.time()
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        seconds = time.perf_counter() - started
    latencies.sort()
    emit(
        {
            "submitted": submitted,
            "errors": errors,
            "t0": t0,
            "seconds": seconds,
            "requests": len(latencies),
            "p50": latencies[len(latencies) // 2] if latencies else None,
            "p95": latencies[int(len(latencies) * 0.95)] if latencies else None,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("worker")
    p = sub.add_parser("enqueue")
    p.add_argument("--jobs", type=int, required=True)
    p.add_argument("--batch", type=int, default=1000)
    p = sub.add_parser("produce")
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p = sub.add_parser("api-submit")
    p.add_argument("--url", required=True)
    p.add_argument("--jobs", type=int, required=True)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--clients", type=int, default=2)
    p.add_argument("--stamp", action="store_true")
    p = sub.add_parser("history")
    p.add_argument("--rows", type=int, required=True)
    args = parser.parse_args()
    if args.command == "worker":
        worker()
    elif args.command == "enqueue":
        asyncio.run(enqueue(args.jobs, args.batch))
    elif args.command == "produce":
        asyncio.run(produce(args.rate, args.seconds))
    elif args.command == "history":
        asyncio.run(history(args.rows))
    else:
        key = os.environ["BENCH_API_KEY"]
        asyncio.run(api_submit(args.url, key, args.jobs, args.batch, args.clients, args.stamp))


if __name__ == "__main__":
    main()
