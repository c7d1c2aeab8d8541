"""Console sign-in: passwords checked, sessions issued and ended, OpenID Connect sign-ins
started and finished, and the expiry of that short-lived state."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache
from typing import Any

from conveyor.store.database import Pool, execute, fetch_one
from conveyor.store.queries import sql
from conveyor.store.users import (
    Principal,
    Role,
    digest,
    ensure_user,
    hash_password,
    user_by_email,
    verify_password,
)


@cache
def _dummy_hash() -> str:
    """Verifying against this when the email is unknown keeps login timing from revealing which
    emails have accounts. Made on the first sign-in, not at import: hashing takes ~0.15 s, and
    every process and CLI command imports this module."""
    return hash_password("not a real password")


async def login(pool: Pool, email: str, password: str) -> dict[str, Any] | None:
    """The user if the password matches and the account is enabled, else None."""
    dummy = _dummy_hash()  # before the lookup: the first sign-in pays for it, known email or not
    user = await user_by_email(pool, email)
    if user is None:
        verify_password(dummy, password)
        return None
    if not verify_password(user["password_hash"], password) or user["disabled"]:
        return None
    return user


async def create_session(
    pool: Pool, user_id: int, ttl_seconds: float, *, ip: str | None, user_agent: str | None
) -> tuple[str, str, datetime]:
    """(session id for the cookie, CSRF token, expiry); only a digest of the id is stored."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row = await fetch_one(
        pool,
        sql("create_session"),
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
    row = await fetch_one(pool, sql("authenticate_session"), id_hash=digest(session_id))
    if row is None:
        return None
    principal = Principal(
        user_id=row["user_id"], email=row["email"], role=row["role"], csrf_token=row["csrf_token"]
    )
    return principal, row["expires_at"]


async def end_session(pool: Pool, session_id: str) -> None:
    await execute(pool, sql("delete_session"), id_hash=digest(session_id))


async def start_oidc_login(pool: Pool, *, state: str, nonce: str, code_verifier: str, next_path: str) -> None:
    await execute(
        pool,
        sql("start_oidc_login"),
        state=state,
        nonce=nonce,
        code_verifier=code_verifier,
        next_path=next_path,
    )


async def finish_oidc_login(pool: Pool, state: str) -> dict[str, Any] | None:
    return await fetch_one(pool, sql("finish_oidc_login"), state=state)


async def user_for_sso(pool: Pool, email: str, role: Role, name: str | None) -> dict[str, Any] | None:
    """The user an identity provider vouched for, created at first sign-in; None if disabled."""
    user = await ensure_user(pool, email, role, name)
    return None if user["disabled"] else user


async def expire_short_lived_state(pool: Pool, *, idempotency_seconds: float = 24 * 3600) -> None:
    """Delete expired sessions and sign-in attempts, and stored idempotent responses past their day."""
    async with pool.connection() as conn:
        await execute(conn, sql("delete_expired_sessions"))
        await execute(conn, sql("delete_expired_oidc_logins"))
        await execute(conn, sql("delete_old_idempotent_requests"), seconds=idempotency_seconds)
