"""Queues and the workers that serve them: a queue's settings (paused, concurrency and rate
limits), the overview of every queue's live numbers, and the registry of running workers (each
worker writes its own row, ``Worker._presence_loop``; this reads them)."""

from __future__ import annotations

from typing import Any

from conveyor.engine.queries import sql
from conveyor.store.database import Pool, execute, fetch_all, fetch_one


class Queues:
    def __init__(self, pool: Pool, *, notify: bool) -> None:
        self.pool = pool
        self.notify = notify

    async def overview(self) -> list[dict[str, Any]]:
        """Every queue that has settings or unfinished jobs, with its live numbers."""
        return await fetch_all(self.pool, sql("queue_overview"))

    async def update(
        self,
        name: str,
        *,
        paused: bool | None = None,
        concurrency_limit: int | None = None,
        set_limit: bool = False,
        rate_limit: float | None = None,
        set_rate: bool = False,
    ) -> dict[str, Any]:
        """Change a queue's settings (creating its row); ``set_limit``/``set_rate`` say that a
        None limit means "no limit" rather than "unchanged"."""
        params = {
            "name": name,
            "paused": paused,
            "concurrency_limit": concurrency_limit,
            "set_limit": set_limit,
            "rate_limit": rate_limit,
            "set_rate": set_rate,
        }
        async with self.pool.connection() as conn:
            row = await fetch_one(conn, sql("upsert_queue"), **params)
            if paused is False and self.notify:
                # Workers serving it claim at once rather than at their next poll.
                await execute(conn, sql("wake_queue"), queue=name)
        assert row is not None
        return row

    async def workers(self, within_seconds: float) -> list[dict[str, Any]]:
        """Workers that announced themselves within ``within_seconds``."""
        return await fetch_all(self.pool, sql("live_workers"), within_seconds=within_seconds)
