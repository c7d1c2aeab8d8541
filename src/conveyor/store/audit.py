"""The audit log of the API's changes: who did what, where, with what outcome."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from conveyor.store.database import Pool, execute, fetch_all
from conveyor.store.queries import sql


async def record_audit(pool: Pool, **entry: Any) -> None:
    await execute(pool, sql("record_audit"), **{**entry, "params": Jsonb(entry["params"])})


async def list_audit(
    pool: Pool, *, before_id: int | None, user_id: int | None, limit: int
) -> list[dict[str, Any]]:
    return await fetch_all(pool, sql("list_audit"), before_id=before_id, user_id=user_id, limit=limit)
