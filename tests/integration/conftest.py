from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from conveyor.engine.worker import Worker, WorkerConfig
from conveyor.handlers import Registry
from conveyor.store.database import Pool
from tests.pgbouncer import pgbouncer


class RunningWorker:
    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(worker.run(self.stop_event))

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.wait_for(self.task, 30)


@pytest.fixture
async def start_worker(
    pool: Pool, registry: Registry, database_url: str, clean_db: str
) -> AsyncIterator[Callable[..., RunningWorker]]:
    """Run in-process workers (real claims, real completer) and stop them after the test."""
    running: list[RunningWorker] = []

    def start(handlers: Registry | None = None, **config: Any) -> RunningWorker:
        config.setdefault("queues", ["default"])
        config.setdefault("poll_interval", 0.2)
        config.setdefault("listen_url", database_url)
        config.setdefault("backoff_base", 0.05)
        config.setdefault("backoff_max", 0.2)
        worker = RunningWorker(Worker(pool, handlers or registry, WorkerConfig(**config)))
        running.append(worker)
        return worker

    yield start
    for worker in running:
        if not worker.task.done():
            await worker.stop()


@pytest.fixture(scope="session")
def pgbouncer_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tests' database behind a real PgBouncer in transaction pooling mode."""
    with pgbouncer(database_url, tmp_path_factory.mktemp("pgbouncer")) as url:
        yield url
