"""Users, API keys and the audit log.

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

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg.types.json import Jsonb

from conveyor.quota import QuotaExceeded
from conveyor.sqlfiles import Queries
from conveyor.store.database import Pool

sql = Queries(Path(__file__).parent / "sql")
Role = Literal["admin", "operator", "viewer"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: through an API key (``key_id``) or a console session (``csrf_token``)."""

    user_id: int
    email: str
    role: Role
    key_id: int | None = None
    csrf_token: str | None = None

    @property
    def rate_limit_key(self) -> str:
        return f"key:{self.key_id}" if self.key_id is not None else f"user:{self.user_id}"


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def new_key() -> tuple[str, str]:
    """(prefix, full key)."""
    prefix = secrets.token_hex(4)
    return prefix, f"cvk_{prefix}_{secrets.token_urlsafe(32)}"


_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def _one(pool: Pool, query: str, **params: Any) -> dict[str, Any] | None:
    async with pool.connection() as conn:
        row: dict[str, Any] | None = await (await conn.execute(sql(query), params)).fetchone()
    return row


async def _all(pool: Pool, query: str, **params: Any) -> list[dict[str, Any]]:
    async with pool.connection() as conn:
        return await (await conn.execute(sql(query), params)).fetchall()


async def create_user(
    pool: Pool, email: str, role: Role, name: str | None = None, password: str | None = None
) -> dict[str, Any] | None:
    """The new user, or None if the email is taken."""
    return await _one(
        pool,
        "create_user",
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password) if password else None,
    )


async def get_user(pool: Pool, user_id: int) -> dict[str, Any] | None:
    return await _one(pool, "get_user", id=user_id)


async def list_users(pool: Pool, *, after_id: int | None, limit: int) -> list[dict[str, Any]]:
    return await _all(pool, "list_users", after_id=after_id, limit=limit)


async def update_user(pool: Pool, user_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
    password = changes.get("password")
    return await _one(
        pool,
        "update_user",
        id=user_id,
        set_name="name" in changes,
        name=changes.get("name"),
        role=changes.get("role"),
        disabled=changes.get("disabled"),
        set_password=password is not None,
        password_hash=hash_password(password) if password else None,
    )


async def list_api_keys(pool: Pool, user_id: int) -> list[dict[str, Any]]:
    return await _all(pool, "list_api_keys", user_id=user_id)


async def get_api_key(pool: Pool, user_id: int, key_id: int) -> dict[str, Any] | None:
    return await _one(pool, "get_api_key", id=key_id, user_id=user_id)


async def revoke_api_key(pool: Pool, user_id: int, key_id: int) -> dict[str, Any] | None:
    return await _one(pool, "revoke_api_key", id=key_id, user_id=user_id)


async def rotate_api_key(pool: Pool, user_id: int, key_id: int) -> tuple[dict[str, Any], str] | None:
    """Revoke a live key and issue its replacement (same name and expiry) atomically."""
    async with pool.connection() as conn, conn.transaction():
        old = await (await conn.execute(sql("get_api_key"), {"id": key_id, "user_id": user_id})).fetchone()
        if old is None or old["revoked_at"] is not None:
            return None
        await conn.execute(sql("revoke_api_key"), {"id": key_id, "user_id": user_id})
        prefix, key = new_key()
        row = await (
            await conn.execute(
                sql("create_api_key"),
                {
                    "user_id": user_id,
                    "name": old["name"],
                    "prefix": prefix,
                    "secret_hash": digest(key),
                    "expires_at": old["expires_at"],
                },
            )
        ).fetchone()
    assert row is not None
    return row, key


async def record_audit(pool: Pool, **entry: Any) -> None:
    async with pool.connection() as conn:
        await conn.execute(sql("record_audit"), {**entry, "params": Jsonb(entry["params"])})


async def list_audit(
    pool: Pool, *, before_id: int | None, user_id: int | None, limit: int
) -> list[dict[str, Any]]:
    return await _all(pool, "list_audit", before_id=before_id, user_id=user_id, limit=limit)


# Verifying against this when the email is unknown keeps login timing from revealing which
# emails have accounts.
_DUMMY_HASH = _hasher.hash("not a real password")


async def login(pool: Pool, email: str, password: str) -> dict[str, Any] | None:
    """The user if the password matches and the account is enabled, else None."""
    async with pool.connection() as conn:
        user = await (await conn.execute(sql("user_by_email"), {"email": email})).fetchone()
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user["password_hash"], password) or user["disabled"]:
        return None
    return user


async def create_session(
    pool: Pool, user_id: int, ttl_seconds: float, *, ip: str | None, user_agent: str | None
) -> tuple[str, str, datetime]:
    """(session id for the cookie, CSRF token, expiry); only a digest of the id is stored."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row = await _one(
        pool,
        "create_session",
        id_hash=digest(session_id),
        user_id=user_id,
        csrf_token=csrf,
        ttl_seconds=ttl_seconds,
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    assert row is not None
    return session_id, csrf, row["expires_at"]


async def authenticate_session(pool: Pool, session_id: str) -> tuple[Principal, datetime] | None:
    if not session_id or len(session_id) > 100:
        return None
    row = await _one(pool, "authenticate_session", id_hash=digest(session_id))
    if row is None:
        return None
    principal = Principal(
        user_id=row["user_id"], email=row["email"], role=row["role"], csrf_token=row["csrf_token"]
    )
    return principal, row["expires_at"]


async def end_session(pool: Pool, session_id: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(sql("delete_session"), {"id_hash": digest(session_id)})


async def expire_short_lived_state(pool: Pool, *, idempotency_seconds: float = 24 * 3600) -> None:
    """Delete expired sessions and sign-in attempts, and stored idempotent responses past their day."""
    async with pool.connection() as conn:
        await conn.execute(sql("delete_expired_sessions"))
        await conn.execute(sql("delete_expired_oidc_logins"))
        await conn.execute(sql("delete_old_idempotent_requests"), {"seconds": idempotency_seconds})


async def start_oidc_login(pool: Pool, *, state: str, nonce: str, code_verifier: str, next_path: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            sql("start_oidc_login"),
            {"state": state, "nonce": nonce, "code_verifier": code_verifier, "next_path": next_path},
        )


async def finish_oidc_login(pool: Pool, state: str) -> dict[str, Any] | None:
    return await _one(pool, "finish_oidc_login", state=state)


async def user_for_sso(pool: Pool, email: str, role: Role, name: str | None) -> dict[str, Any] | None:
    """The user an identity provider vouched for, created at first sign-in; None if disabled."""
    user = await create_user(pool, email, role, name) or await _one(pool, "user_by_email", email=email)
    assert user is not None
    return None if user["disabled"] else user


async def ensure_user(pool: Pool, email: str, role: Role, name: str | None = None) -> dict[str, Any]:
    async with pool.connection() as conn:
        row = await (
            await conn.execute(
                sql("create_user"),
                {
                    "email": email,
                    "name": name,
                    "role": role,
                    "password_hash": None,  # nosec B105 # no password: the column is cleared
                },
            )
        ).fetchone()
        if row is None:
            row = await (await conn.execute(sql("user_by_email"), {"email": email})).fetchone()
    assert row is not None
    return row


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
    prefix, key = new_key()
    async with pool.connection() as conn, conn.transaction():
        if max_live_keys is not None:
            await conn.execute(sql("lock_user_for_keys"), {"user_id": user_id})
            live = await (await conn.execute(sql("count_live_api_keys"), {"user_id": user_id})).fetchone()
            if live is not None and live["keys"] >= max_live_keys:
                raise QuotaExceeded("live API keys", max_live_keys, "CONVEYOR_MAX_API_KEYS_PER_USER")
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
