"""One scheduler replica for the exactly-once test, run in its own process (multiprocessing)."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime

from conveyor.engine.jobs import EngineDefaults, Jobs
from conveyor.engine.schedules import Schedules
from conveyor.handlers import discover
from conveyor.store.database import open_pool


def run(database_url: str, clock: list[datetime], seed: int, prepared_statements: bool) -> int:
    """Drive ``fire_due`` through every simulated instant of ``clock``; return jobs enqueued."""

    async def main() -> int:
        rng = random.Random(seed)
        pool = await open_pool(
            database_url, size=2, name=f"replica-{seed}", prepared_statements=prepared_statements
        )
        await pool.wait()
        schedules = Schedules(
            Jobs(pool, discover(), EngineDefaults(3, 60, 262144, False)), misfire_grace=3600
        )
        fired = 0
        try:
            for now in clock:
                fired += await schedules.fire_due(now)
                await asyncio.sleep(rng.random() * 0.002)  # shuffle the replicas' interleaving
        finally:
            await pool.close()
        return fired

    return asyncio.run(main())
