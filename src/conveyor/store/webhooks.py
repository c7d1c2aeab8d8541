"""Webhook endpoints: the subscriptions that job events are delivered to.

Secrets follow the Standard Webhooks format (``whsec_`` + base64 of 32 random bytes). They are
stored as they are, because signing needs them; they are shown to users only when created or
rotated, or on an explicit request by someone who may write webhooks.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import Any

from conveyor.sqlfiles import Queries
from conveyor.store.database import Pool

sql = Queries(Path(__file__).parent / "sql")


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def _one(pool: Pool, query: str, **params: Any) -> dict[str, Any] | None:
    async with pool.connection() as conn:
        row: dict[str, Any] | None = await (await conn.execute(sql(query), params)).fetchone()
    return row


async def create(
    pool: Pool, *, url: str, events: list[str], description: str | None, enabled: bool, created_by: int | None
) -> dict[str, Any]:
    row = await _one(
        pool,
        "create_webhook",
        url=url,
        events=events,
        description=description,
        enabled=enabled,
        created_by=created_by,
        secret=new_secret(),
    )
    assert row is not None
    return row


async def get(pool: Pool, endpoint_id: int) -> dict[str, Any] | None:
    return await _one(pool, "get_webhook", id=endpoint_id)


async def all_endpoints(pool: Pool) -> list[dict[str, Any]]:
    async with pool.connection() as conn:
        return await (await conn.execute(sql("list_webhooks"))).fetchall()


async def update(pool: Pool, endpoint_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await _one(
        pool,
        "update_webhook",
        id=endpoint_id,
        url=changes.get("url"),
        events=changes.get("events"),
        enabled=changes.get("enabled"),
        set_description="description" in changes,
        description=changes.get("description"),
    )


async def delete(pool: Pool, endpoint_id: int) -> bool:
    return await _one(pool, "delete_webhook", id=endpoint_id) is not None


async def rotate_secret(pool: Pool, endpoint_id: int, grace_seconds: float) -> dict[str, Any] | None:
    return await _one(
        pool, "rotate_webhook_secret", id=endpoint_id, secret=new_secret(), grace_seconds=grace_seconds
    )


async def deliveries(
    pool: Pool, endpoint_id: int, *, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    async with pool.connection() as conn:
        return await (
            await conn.execute(
                sql("webhook_deliveries"),
                {"endpoint_id": endpoint_id, "before_id": before_id, "limit": limit},
            )
        ).fetchall()


async def enqueue_test(pool: Pool, endpoint_id: int) -> dict[str, Any]:
    row = await _one(pool, "enqueue_test_delivery", endpoint_id=endpoint_id)
    assert row is not None
    return row
