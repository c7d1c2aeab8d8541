"""The scheduler process's loop: every replica fires due schedules (the database keeps each
fire exactly-once), and the one holding leadership also runs maintenance."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from conveyor.engine.maintenance import Leadership, Maintenance
from conveyor.engine.schedules import Schedules

log = structlog.get_logger("conveyor")


async def scheduler_loop(
    schedules: Schedules,
    leadership: Leadership,
    maintenance: Maintenance,
    stop: asyncio.Event,
    *,
    tick: float,
) -> None:
    """Every tick: fire due schedules (every replica; the database keeps it exactly-once),
    and, while leading, run maintenance."""
    while not stop.is_set():
        try:
            await schedules.fire_due()
            if await leadership.renew():
                await maintenance.run_once()
        except Exception as exc:  # database down: log, keep ticking, recover by itself
            log.warning("scheduler_tick_failed", error=str(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), tick)
