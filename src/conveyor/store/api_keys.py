"""API keys: issued to a user, shown once, stored as a digest, rotated and revoked.

Key format: ``cvk_<prefix>_<secret>``. The prefix is stored in clear to identify a key in
listings and logs; only a SHA-256 digest of the whole key is stored (``users.digest``).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from conveyor.quota import QuotaExceeded
from conveyor.store.database import Connection, Pool, execute, fetch_all, fetch_one
from conveyor.store.queries import sql
from conveyor.store.users import Principal, digest


def new_key() -> tuple[str, str]:
    """(prefix, full key)."""
    prefix = secrets.token_hex(4)
    return prefix, f"cvk_{prefix}_{secrets.token_urlsafe(32)}"


async def issue_key(
    conn: Connection, user_id: int, name: str, expires_at: datetime | None
) -> tuple[dict[str, Any], str]:
    """Insert a new key in the caller's transaction; (its record, the secret key shown once)."""
    prefix, key = new_key()
    row = await fetch_one(
        conn,
        sql("create_api_key"),
        prefix=prefix,
        secret_hash=digest(key),
        user_id=user_id,
        name=name,
        expires_at=expires_at,
    )
    assert row is not None
    return row, key


async def create_api_key(
    pool: Pool,
    user_id: int,
    name: str,
    expires_at: datetime | None = None,
    *,
    max_live_keys: int | None = None,
) -> tuple[dict[str, Any], str]:
    """Create a key; return (its record, the secret key shown once). With ``max_live_keys``,
    a user who has that many live (unrevoked, unexpired) keys gets QuotaExceeded instead."""
    async with pool.connection() as conn, conn.transaction():
        if max_live_keys is not None:
            await execute(conn, sql("lock_user_for_keys"), user_id=user_id)
            live = await fetch_one(conn, sql("count_live_api_keys"), user_id=user_id)
            if live is not None and live["keys"] >= max_live_keys:
                raise QuotaExceeded("live API keys", max_live_keys, "CONVEYOR_MAX_API_KEYS_PER_USER")
        return await issue_key(conn, user_id, name, expires_at)


async def list_api_keys(pool: Pool, user_id: int) -> list[dict[str, Any]]:
    return await fetch_all(pool, sql("list_api_keys"), user_id=user_id)


async def get_api_key(pool: Pool, user_id: int, key_id: int) -> dict[str, Any] | None:
    return await fetch_one(pool, sql("get_api_key"), id=key_id, user_id=user_id)


async def revoke_api_key(pool: Pool, user_id: int, key_id: int) -> dict[str, Any] | None:
    return await fetch_one(pool, sql("revoke_api_key"), id=key_id, user_id=user_id)


async def rotate_api_key(pool: Pool, user_id: int, key_id: int) -> tuple[dict[str, Any], str] | None:
    """Revoke a live key and issue its replacement (same name and expiry) atomically."""
    async with pool.connection() as conn, conn.transaction():
        old = await fetch_one(conn, sql("get_api_key"), id=key_id, user_id=user_id)
        if old is None or old["revoked_at"] is not None:
            return None
        await execute(conn, sql("revoke_api_key"), id=key_id, user_id=user_id)
        return await issue_key(conn, user_id, old["name"], old["expires_at"])


async def authenticate(pool: Pool, key: str) -> Principal | None:
    if not key.startswith("cvk_") or len(key) > 200:
        return None
    row = await fetch_one(pool, sql("authenticate_key"), secret_hash=digest(key))
    if row is None:
        return None
    return Principal(user_id=row["user_id"], email=row["email"], role=row["role"], key_id=row["key_id"])
