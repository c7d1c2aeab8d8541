"""Credential rotation that needs the database: API keys with an overlap, and console sessions.

``rotate_key`` issues a replacement (same owner, name and expiry) and lets the old key work for
an overlap, so the services using it can switch without an outage; a leaked key is revoked at
once instead (``revoke_key``). Console sessions are server-side random ids (no signing key to
rotate): ending them is how their "key" is rotated. docs/security/rotation.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conveyor.admin.queries import sql
from conveyor.store.api_keys import issue_key
from conveyor.store.database import Pool, fetch_one


class RotationRefused(ValueError):
    """The key is unknown or no longer live."""


async def rotate_key(pool: Pool, prefix: str, overlap_seconds: float) -> tuple[dict[str, Any], str]:
    """(the replacement and the old key's new expiry, the replacement's secret shown once)."""
    if overlap_seconds < 0:
        raise RotationRefused("--overlap must be 0 or more seconds")
    async with pool.connection() as conn, conn.transaction():
        old = await fetch_one(conn, sql("api_key_by_prefix"), prefix=prefix)
        if old is None:
            raise RotationRefused(f"no API key with prefix {prefix!r}")
        if old["revoked_at"] is not None:
            raise RotationRefused(f"API key {prefix} was revoked at {old['revoked_at'].isoformat()}")
        if old["expires_at"] is not None and old["expires_at"] <= datetime.now(UTC):
            raise RotationRefused(
                f"API key {prefix} expired at {old['expires_at'].isoformat()}: issue a new key instead "
                "(conveyor admin create-key)"
            )
        new, secret = await issue_key(conn, old["user_id"], old["name"], old["expires_at"])
        expiry = await fetch_one(
            conn, sql("expire_key_after_overlap"), id=old["id"], overlap_seconds=overlap_seconds
        )
    assert expiry is not None
    return {
        **new,
        "owner_email": old["owner_email"],
        "replaces": prefix,
        "old_key_expires_at": expiry["expires_at"],
    }, secret


async def revoke_key(pool: Pool, prefix: str) -> dict[str, Any]:
    async with pool.connection() as conn, conn.transaction():
        old = await fetch_one(conn, sql("api_key_by_prefix"), prefix=prefix)
        if old is None:
            raise RotationRefused(f"no API key with prefix {prefix!r}")
        row = await fetch_one(conn, sql("revoke_key_now"), id=old["id"])
    assert row is not None
    return {"prefix": prefix, "owner_email": old["owner_email"], "revoked_at": row["revoked_at"]}


async def end_sessions(pool: Pool, *, email: str | None) -> int:
    """End one user's console sessions (``email``) or everyone's (None); return how many."""
    async with pool.connection() as conn:
        user_id = None
        if email is not None:
            user = await fetch_one(conn, sql("user_by_email_exact"), email=email)
            if user is None:
                raise RotationRefused(f"no user with email {email!r}")
            user_id = user["id"]
        row = await fetch_one(conn, sql("end_sessions"), user_id=user_id)
    assert row is not None
    return int(row["sessions"])
