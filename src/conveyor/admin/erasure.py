"""Erasure of a user's personal data (GDPR Art. 17), keeping the audit trail consistent.

The user row stays as a pseudonym (its id, role and dates): the audit log keeps saying which
account did what, but no longer whose it was. Email, name and password go; keys are revoked and
their names cleared; console sessions end; the client addresses in the user's audit entries are
removed. One transaction: either all of it happens, or none. docs/security/data-protection.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from conveyor.admin.queries import sql
from conveyor.store.database import Pool, execute, fetch_all, fetch_one


class ErasureRefused(ValueError):
    """The request is ambiguous, names no one, or would lock every admin out."""


@dataclass(frozen=True)
class Target:
    id: int
    email: str
    role: str
    already_erased: bool


async def find_target(pool: Pool, *, email: str | None, user_id: int | None) -> Target:
    """The one user an erasure request names; refuses none, several, or both ways of naming."""
    if (email is None) == (user_id is None):
        raise ErasureRefused("name the user with exactly one of --email or --id")
    async with pool.connection() as conn:
        if email is not None:
            rows = await fetch_all(conn, sql("users_matching_email"), email=email)
        else:
            rows = await fetch_all(conn, sql("user_for_erasure"), id=user_id)
    if not rows:
        raise ErasureRefused(f"no user with {'email ' + repr(email) if email else f'id {user_id}'}")
    if len(rows) > 1:
        listed = ", ".join(f"id {r['id']} ({r['email']})" for r in rows)
        raise ErasureRefused(
            f"--email {email!r} matches {len(rows)} users ignoring case: {listed}; name one with --id"
        )
    row = rows[0]
    return Target(row["id"], row["email"], row["role"], row["erased_at"] is not None)


async def erase(pool: Pool, target: Target) -> dict[str, Any]:
    """Pseudonymise ``target``; return what changed and what was left (created records)."""
    async with pool.connection() as conn, conn.transaction():
        admins = await fetch_all(conn, sql("lock_admins"))
        user = await fetch_one(conn, sql("user_for_erasure"), id=target.id)
        if user is None:
            raise ErasureRefused(f"user {target.id} no longer exists")
        if user["erased_at"] is not None:
            return {"user_id": target.id, "already_erased": True}
        if user["role"] == "admin" and not user["disabled"] and [a["id"] for a in admins] == [target.id]:
            raise ErasureRefused(
                f"user {target.id} is the last enabled admin: make another user admin first "
                "(conveyor admin create-key --role admin, or PATCH /api/v1/users/{id})"
            )
        keys = await fetch_one(conn, sql("revoke_and_rename_user_keys"), id=target.id)
        sessions = await fetch_one(conn, sql("delete_user_sessions"), id=target.id)
        addresses = await fetch_one(conn, sql("forget_user_addresses"), id=target.id)
        await execute(conn, sql("pseudonymise_user"), id=target.id)
        left = await fetch_one(conn, sql("records_created_by_user"), id=target.id)
        await execute(
            conn, sql("record_admin_action"), action="admin erase-user", params=Jsonb({"user_id": target.id})
        )
    assert keys is not None
    assert sessions is not None
    assert addresses is not None
    assert left is not None
    return {
        "user_id": target.id,
        "already_erased": False,
        "email_now": f"erased-user-{target.id}@erased.invalid",
        "api_keys_revoked": keys["keys"],
        "sessions_ended": sessions["sessions"],
        "audit_addresses_removed": addresses["addresses"],
        "left_in_place": dict(left),
    }
