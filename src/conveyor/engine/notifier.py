"""LISTEN for new-job hints. Only a hint: workers also poll, so a lost notification or a
proxy that drops LISTEN (transaction pooling) costs latency, never a job."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import psycopg
import structlog

log = structlog.get_logger("conveyor.notifier")
CHANNEL = "conveyor_jobs"


async def listen(url: str, on_queue: Callable[[str], None], stop: asyncio.Event) -> None:
    """Call ``on_queue(name)`` for every notification until ``stop`` is set; reconnect on loss."""
    delay = 0.5
    while not stop.is_set():
        try:
            async with await psycopg.AsyncConnection.connect(
                url, autocommit=True, application_name="conveyor-listener"
            ) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                delay = 0.5
                # notifies(timeout=...) returns every half second so `stop` is checked.
                while not stop.is_set():
                    async for notification in conn.notifies(timeout=0.5):
                        on_queue(notification.payload)
        except (psycopg.Error, OSError) as exc:
            log.warning("listen_connection_lost", error=str(exc), retry_in=delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 10.0)
