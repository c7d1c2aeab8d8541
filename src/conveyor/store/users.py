"""User accounts: who they are, their role, their password; and ``Principal``, the signed-in
user (by API key or console session) that every request runs as."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from conveyor.store.database import Pool, fetch_all, fetch_one
from conveyor.store.queries import sql

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


def digest(secret: str) -> bytes:
    """What is stored of an API key or a session id. Both carry 256 bits of randomness, so a
    fast digest cannot be brute-forced (unlike a password)."""
    return hashlib.sha256(secret.encode()).digest()


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


async def create_user(
    pool: Pool, email: str, role: Role, name: str | None = None, password: str | None = None
) -> dict[str, Any] | None:
    """The new user, or None if the email is taken."""
    return await fetch_one(
        pool,
        sql("create_user"),
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password) if password else None,
    )


async def ensure_user(
    pool: Pool, email: str, role: Role, name: str | None = None, *, password: str | None = None
) -> dict[str, Any]:
    """The user with this email, created (with ``password`` if given, else none) if there is none."""
    user = await create_user(pool, email, role, name, password) or await user_by_email(pool, email)
    assert user is not None
    return user


async def user_by_email(pool: Pool, email: str) -> dict[str, Any] | None:
    """Every column, the password hash included: for signing in, never for showing."""
    return await fetch_one(pool, sql("user_by_email"), email=email)


async def get_user(pool: Pool, user_id: int) -> dict[str, Any] | None:
    return await fetch_one(pool, sql("get_user"), id=user_id)


async def list_users(pool: Pool, *, after_id: int | None, limit: int) -> list[dict[str, Any]]:
    return await fetch_all(pool, sql("list_users"), after_id=after_id, limit=limit)


async def update_user(pool: Pool, user_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
    password = changes.get("password")
    return await fetch_one(
        pool,
        sql("update_user"),
        id=user_id,
        set_name="name" in changes,
        name=changes.get("name"),
        role=changes.get("role"),
        disabled=changes.get("disabled"),
        set_password=password is not None,
        password_hash=hash_password(password) if password else None,
    )
