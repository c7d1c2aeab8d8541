"""The access review: every user, API key and console session, with the findings a reviewer must
act on (docs/security/access-review.md describes the quarterly procedure).

Findings:
- ``stale-key``: a live key not used (or, never used, not created) within ``stale_key_days``;
- ``key-without-expiry``: a live key that never expires;
- ``admin-without-recent-sign-in``: an enabled admin who has not signed in to the console within
  ``admin_sign_in_days`` (or never has).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from conveyor.admin.queries import sql
from conveyor.store.database import Pool, execute, fetch_all, fetch_one

FORMATS = ("json", "csv")
CSV_COLUMNS = (
    "record",
    "user_id",
    "email",
    "role",
    "disabled",
    "key_prefix",
    "key_name",
    "status",
    "created_at",
    "last_used_at",
    "last_sign_in_at",
    "expires_at",
    "ip",
    "findings",
)


@dataclass(frozen=True)
class ReviewPolicy:
    stale_key_days: int = 90
    admin_sign_in_days: int = 90

    def __post_init__(self) -> None:
        for name in ("stale_key_days", "admin_sign_in_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', '-')} must be at least 1 day")


def _findings_for_key(key: dict[str, Any], now: datetime, policy: ReviewPolicy) -> list[str]:
    if key["status"] != "live":
        return []
    found = []
    if (key["last_used_at"] or key["created_at"]) < now - timedelta(days=policy.stale_key_days):
        found.append("stale-key")
    if key["expires_at"] is None:
        found.append("key-without-expiry")
    return found


def _findings_for_user(user: dict[str, Any], now: datetime, policy: ReviewPolicy) -> list[str]:
    if user["role"] != "admin" or user["disabled"]:
        return []
    last = user["last_sign_in_at"]
    if last is None or last < now - timedelta(days=policy.admin_sign_in_days):
        return ["admin-without-recent-sign-in"]
    return []


async def build_review(pool: Pool, policy: ReviewPolicy) -> dict[str, Any]:
    """The review as plain data (times as datetimes); one snapshot (one transaction)."""
    async with pool.connection() as conn, conn.transaction():
        await execute(conn, sql("read_only_snapshot"))
        now_row = await fetch_one(conn, sql("database_now"))
        users = await fetch_all(conn, sql("review_users"))
        keys = await fetch_all(conn, sql("review_api_keys"))
        sessions = await fetch_all(conn, sql("review_sessions"))
    assert now_row is not None
    now: datetime = now_row["now"]
    findings: list[dict[str, Any]] = []
    for user in users:
        user["findings"] = _findings_for_user(user, now, policy)
        findings += [{"finding": f, "user_id": user["id"], "email": user["email"]} for f in user["findings"]]
    for key in keys:
        key["findings"] = _findings_for_key(key, now, policy)
        findings += [
            {
                "finding": f,
                "user_id": key["user_id"],
                "email": key["owner_email"],
                "key_prefix": key["prefix"],
            }
            for f in key["findings"]
        ]
    return {
        "generated_at": now,
        "policy": {"stale_key_days": policy.stale_key_days, "admin_sign_in_days": policy.admin_sign_in_days},
        "users": users,
        "api_keys": keys,
        "sessions": sessions,
        "findings": findings,
    }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def render_json(review: dict[str, Any]) -> str:
    return json.dumps(review, default=_text, indent=2) + "\n"


def _user_status(user: dict[str, Any]) -> str:
    return "erased" if user["erased_at"] else ("disabled" if user["disabled"] else "enabled")


# Per kind of record: the review's list it comes from, and each CSV column's source — the name of
# a field of the record, or a function of the record. Columns not named stay empty.
_CSV_RECORDS: tuple[tuple[str, str, dict[str, str | Callable[[dict[str, Any]], str]]], ...] = (
    (
        "user",
        "users",
        {
            "user_id": "id",
            "email": "email",
            "role": "role",
            "disabled": "disabled",
            "status": _user_status,
            "created_at": "created_at",
            "last_used_at": "last_key_use_at",
            "last_sign_in_at": "last_sign_in_at",
            "findings": "findings",
        },
    ),
    (
        "api_key",
        "api_keys",
        {
            "user_id": "user_id",
            "email": "owner_email",
            "role": "owner_role",
            "key_prefix": "prefix",
            "key_name": "name",
            "status": "status",
            "created_at": "created_at",
            "last_used_at": "last_used_at",
            "expires_at": "expires_at",
            "findings": "findings",
        },
    ),
    (
        "session",
        "sessions",
        {
            "user_id": "user_id",
            "email": "email",
            "role": "role",
            "status": lambda _: "live",
            "created_at": "created_at",
            "expires_at": "expires_at",
            "ip": "ip",
        },
    ),
)


def render_csv(review: dict[str, Any]) -> str:
    """One table: a row per user, key and session (``record`` says which), findings in a column."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record, listed, columns in _CSV_RECORDS:
        for row in review[listed]:
            writer.writerow(
                {"record": record}
                | {
                    column: _text(source(row) if callable(source) else row[source])
                    for column, source in columns.items()
                }
            )
    return buffer.getvalue()


def render(review: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return render_json(review)
    if fmt == "csv":
        return render_csv(review)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
