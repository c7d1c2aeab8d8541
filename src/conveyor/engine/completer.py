"""The completer: records attempt outcomes in batches, one UPDATE per batch.

Handlers finish one by one; writing each outcome on its own would cost a round trip and a
commit per job. Outcomes wait here a few milliseconds and go out together. If the database is
unreachable they stay buffered (their leases are still renewed by the heartbeat) and are
retried with backoff; if a lease was lost meanwhile, the UPDATE skips that row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from psycopg.types.json import Jsonb

from conveyor.engine.queries import sql
from conveyor.store.database import Pool

log = structlog.get_logger("conveyor.completer")


@dataclass(frozen=True)
class Outcome:
    job_id: int
    attempt: int
    state: str  # succeeded | retrying | dead | cancelled
    result: Any = None
    error: dict[str, Any] | None = None
    retry_in: float = 0.0


class Completer:
    def __init__(
        self,
        pool: Pool,
        worker_id: str,
        *,
        on_written: Callable[[], None] = lambda: None,
        max_batch: int = 500,
        linger: float = 0.002,
    ) -> None:
        self.pool = pool
        self.on_written = on_written  # written outcomes free worker slots: wake the producer
        self.worker_id = worker_id
        self.max_batch = max_batch
        self.linger = linger
        self._pending: list[Outcome] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        self._idle.clear()
        self._wake.set()

    @property
    def backlog(self) -> int:
        return len(self._pending)

    def pending_ids(self) -> list[int]:
        return [o.job_id for o in self._pending]

    async def run(self) -> None:
        failures = 0
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.linger)
            while self._pending:
                batch = self._pending[: self.max_batch]
                try:
                    await self._write(batch)
                except Exception as exc:
                    failures += 1
                    delay = min(5.0, 0.1 * 2**failures)
                    log.warning(
                        "completion_write_failed", error=str(exc), retry_in=delay, buffered=len(self._pending)
                    )
                    await asyncio.sleep(delay)
                    continue
                failures = 0
                del self._pending[: len(batch)]
                self.on_written()
            self._wake.clear()
            self._idle.set()

    async def flush(self, timeout: float) -> bool:
        """Wait until everything submitted so far is written; False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def _write(self, batch: list[Outcome]) -> None:
        params = {
            "ids": [o.job_id for o in batch],
            "attempts": [o.attempt for o in batch],
            "states": [o.state for o in batch],
            "results": [Jsonb(o.result) if o.result is not None else None for o in batch],
            "errors": [Jsonb(o.error) if o.error is not None else None for o in batch],
            "retry_in": [o.retry_in for o in batch],
            "worker_id": self.worker_id,
        }
        async with self.pool.connection() as conn:
            await conn.execute(sql("complete"), params)
