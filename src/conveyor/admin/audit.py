"""Audit evidence: export the audit log by time range, a hash chain that makes the export
tamper-evident, its verification, and the retention that prunes old entries.

The chain (ADR 1002): every exported line carries ``prev_hash`` (the previous line's ``hash``;
64 zeros, or ``--chain-from``, for the first) and ``hash`` = SHA-256 of ``prev_hash`` followed by
the entry's canonical JSON (keys sorted, no spaces, UTF-8). Changing, removing, inserting or
reordering a line breaks the chain at that line. Removing lines at the end leaves a valid but
shorter chain: the head hash the export prints is what an auditor records (in the evidence
ticket), and ``audit-verify --expect-head`` compares against it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from conveyor.admin.queries import sql
from conveyor.store.database import Pool, execute, fetch_all

GENESIS = "0" * 64
FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("id", "at", "user_id", "key_id", "action", "route", "params", "status", "ip", "request_id")
PAGE = 1000


class ChainBroken(ValueError):
    """The export was changed after it was written; the message names the first bad line."""


def canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(prev_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(entry)).hexdigest()


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


async def entries(pool: Pool, since: datetime, until: datetime) -> AsyncIterator[dict[str, Any]]:
    """Audit entries with ``since <= at < until`` in the order they were written."""
    after_id = 0
    while True:
        rows = await fetch_all(
            pool, sql("audit_range"), since=since, until=until, after_id=after_id, limit=PAGE
        )
        for row in rows:
            yield _plain(row)
        if len(rows) < PAGE:
            return
        after_id = rows[-1]["id"]


@dataclass
class Chain:
    head: str = GENESIS
    count: int = 0

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        digest = link(self.head, entry)
        chained = {**entry, "prev_hash": self.head, "hash": digest}
        self.head, self.count = digest, self.count + 1
        return chained


def jsonl_line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"


def csv_header() -> str:
    return ",".join(CSV_COLUMNS) + "\n"


def csv_line(entry: dict[str, Any]) -> str:
    buffer = io.StringIO()
    row = {**entry, "params": json.dumps(entry["params"], sort_keys=True)}
    csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n").writerow(row)
    return buffer.getvalue()


def verify(lines: Iterable[str], *, chain_from: str = GENESIS) -> Chain:
    """Check a JSON-lines export; return its chain (head, count) or raise ChainBroken."""
    chain = Chain(head=chain_from)
    last_id: int | None = None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            raise ChainBroken(f"line {number}: empty line")
        try:
            entry = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ChainBroken(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(entry, dict) or "hash" not in entry or "prev_hash" not in entry:
            raise ChainBroken(f"line {number}: no hash chain (export with --hash-chain)")
        claimed, prev = entry.pop("hash"), entry.pop("prev_hash")
        if prev != chain.head:
            what = "the first line does not start the chain" if number == 1 else "a line before it"
            raise ChainBroken(
                f"line {number} (audit id {entry.get('id')}): prev_hash does not follow on: {what} "
                "was removed, inserted or reordered"
            )
        if link(prev, entry) != claimed:
            raise ChainBroken(f"line {number} (audit id {entry.get('id')}): content does not match its hash")
        if last_id is not None and isinstance(entry.get("id"), int) and entry["id"] <= last_id:
            raise ChainBroken(f"line {number}: audit id {entry['id']} is not after {last_id}")
        last_id = entry.get("id")
        chain.add(entry)
    return chain


async def prune(pool: Pool, older_than_seconds: float, batch: int = 10_000) -> int:
    """Delete entries past the retention in batches; 0 seconds keeps everything."""
    if older_than_seconds <= 0:
        return 0
    deleted = 0
    while True:
        count = await execute(
            pool, sql("delete_old_audit"), older_than_seconds=older_than_seconds, limit=batch
        )
        deleted += count
        if count < batch:
            return deleted


async def record_admin_action(pool: Pool, action: str, params: dict[str, Any]) -> None:
    await execute(pool, sql("record_admin_action"), action=action, params=Jsonb(params))
