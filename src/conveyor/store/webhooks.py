"""Webhook endpoints: the subscriptions that job events are delivered to.

Secrets follow the Standard Webhooks format (``whsec_`` + base64 of 32 random bytes). They are
stored as they are, because signing needs them; they are shown to users only when created or
rotated, or on an explicit request by someone who may write webhooks.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from conveyor.store.database import Pool, fetch_all, fetch_one
from conveyor.store.queries import sql


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def create(
    pool: Pool, *, url: str, events: list[str], description: str | None, enabled: bool, created_by: int | None
) -> dict[str, Any]:
    row = await fetch_one(
        pool,
        sql("create_webhook"),
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
    return await fetch_one(pool, sql("get_webhook"), id=endpoint_id)


async def all_endpoints(pool: Pool) -> list[dict[str, Any]]:
    return await fetch_all(pool, sql("list_webhooks"))


async def update(pool: Pool, endpoint_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await fetch_one(
        pool,
        sql("update_webhook"),
        id=endpoint_id,
        url=changes.get("url"),
        events=changes.get("events"),
        enabled=changes.get("enabled"),
        set_description="description" in changes,
        description=changes.get("description"),
    )


async def delete(pool: Pool, endpoint_id: int) -> bool:
    return await fetch_one(pool, sql("delete_webhook"), id=endpoint_id) is not None


async def rotate_secret(pool: Pool, endpoint_id: int, grace_seconds: float) -> dict[str, Any] | None:
    return await fetch_one(
        pool, sql("rotate_webhook_secret"), id=endpoint_id, secret=new_secret(), grace_seconds=grace_seconds
    )


async def deliveries(
    pool: Pool, endpoint_id: int, *, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    return await fetch_all(
        pool, sql("webhook_deliveries"), endpoint_id=endpoint_id, before_id=before_id, limit=limit
    )


async def enqueue_test(pool: Pool, endpoint_id: int) -> dict[str, Any]:
    row = await fetch_one(pool, sql("enqueue_test_delivery"), endpoint_id=endpoint_id)
    assert row is not None
    return row
