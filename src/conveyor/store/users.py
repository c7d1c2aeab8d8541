"""Users and API keys (the part the core needs; the full identity model builds on it).

Key format: ``cvk_<prefix>_<secret>``. The prefix is stored in clear to identify a key in
listings and logs; only a SHA-256 digest of the whole key is stored. The secret carries 256
bits of randomness, so a fast digest cannot be brute-forced (unlike a password).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from conveyor.sqlfiles import Queries
from conveyor.store.database import Pool

sql = Queries(Path(__file__).parent / "sql")
Role = Literal["admin", "operator", "viewer"]


@dataclass(frozen=True)
class Principal:
    user_id: int
    email: str
    role: Role
    key_id: int


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def new_key() -> tuple[str, str]:
    """(prefix, full key)."""
    prefix = secrets.token_hex(4)
    return prefix, f"cvk_{prefix}_{secrets.token_urlsafe(32)}"


async def ensure_user(pool: Pool, email: str, role: Role, name: str | None = None) -> dict[str, Any]:
    async with pool.connection() as conn:
        row = await (
            await conn.execute(
                sql("create_user"),
                {
                    "email": email,
                    "name": name,
                    "role": role,
                    "password_hash": None,
                },
            )
        ).fetchone()
        if row is None:
            row = await (await conn.execute(sql("user_by_email"), {"email": email})).fetchone()
    assert row is not None
    return row


async def create_api_key(
    pool: Pool, user_id: int, name: str, expires_at: datetime | None = None
) -> tuple[dict[str, Any], str]:
    """Create a key; return (its record, the secret key shown once)."""
    prefix, key = new_key()
    async with pool.connection() as conn:
        row = await (
            await conn.execute(
                sql("create_api_key"),
                {
                    "user_id": user_id,
                    "name": name,
                    "prefix": prefix,
                    "secret_hash": digest(key),
                    "expires_at": expires_at,
                },
            )
        ).fetchone()
    assert row is not None
    return row, key


async def authenticate(pool: Pool, key: str) -> Principal | None:
    if not key.startswith("cvk_") or len(key) > 200:
        return None
    async with pool.connection() as conn:
        row = await (await conn.execute(sql("authenticate_key"), {"secret_hash": digest(key)})).fetchone()
    if row is None:
        return None
    return Principal(user_id=row["user_id"], email=row["email"], role=row["role"], key_id=row["key_id"])
