"""The security ``conveyor admin`` commands, run as real processes against a real PostgreSQL:
access review, audit export with a hash chain and its verification, audit retention, erasure of
a user's personal data, API-key rotation with overlap and ending console sessions."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from typer.testing import CliRunner, Result

from conveyor.admin.access_review import CSV_COLUMNS
from conveyor.cli import app
from conveyor.engine.maintenance import Maintenance, MaintenanceConfig
from conveyor.settings import get_settings
from conveyor.store.api_keys import authenticate, create_api_key, revoke_api_key
from conveyor.store.audit import record_audit
from conveyor.store.database import Pool
from conveyor.store.sessions import authenticate_session, create_session
from conveyor.store.users import create_user
from tests.support import REPO, process_env


def conveyor_admin(database_url: str, *args: str, stdin: str | None = None) -> Ran:
    """Run ``conveyor admin …`` in-process (Click's runner, in its own thread: the commands run
    their own event loop), with only the database configured, as an operator would."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("CONVEYOR_", "OTEL_"))}
    env |= {"CONVEYOR_DATABASE_URL": database_url, "CONVEYOR_ENV": "test"}
    outcome: list[Result] = []

    def run() -> None:
        get_settings.cache_clear()
        try:
            outcome.append(CliRunner().invoke(app, ["admin", *args], input=stdin, env=env))
        finally:
            get_settings.cache_clear()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    assert outcome, f"conveyor admin {' '.join(args)} did not finish"
    result = outcome[0]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def ok(result: Ran) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(result: Ran, code: int, *words: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def sql(database_url: str, statement: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


async def audit(pool: Pool, user_id: int | None, action: str, ip: str | None = "203.0.113.7") -> None:
    await record_audit(
        pool,
        user_id=user_id,
        key_id=None,
        action=action,
        route="/api/v1/jobs",
        params={},
        status=201,
        ip=ip,
        request_id="r-" + action,
    )


# -- access review ------------------------------------------------------------------------------


async def test_access_review_lists_everyone_and_flags_what_to_act_on(pool: Pool, clean_db: str) -> None:
    active = await create_user(pool, "active-admin@example.com", "admin", password="a long passphrase")
    absent = await create_user(pool, "absent-admin@example.com", "admin")
    operator = await create_user(pool, "operator@example.com", "operator")
    assert active and absent and operator
    await create_session(pool, active["id"], 3600, ip="198.51.100.1", user_agent="pytest")
    in_a_year = datetime.now(UTC) + timedelta(days=365)
    stale, _ = await create_api_key(pool, operator["id"], "old integration", in_a_year)
    fresh, _ = await create_api_key(pool, operator["id"], "ci", in_a_year)
    forever, _ = await create_api_key(pool, active["id"], "laptop")
    gone, _ = await create_api_key(pool, operator["id"], "revoked")
    await revoke_api_key(pool, operator["id"], gone["id"])
    sql(
        clean_db,
        "UPDATE conveyor.api_keys SET created_at = now() - interval '200 days',"
        " last_used_at = now() - interval '120 days' WHERE id = %(id)s",
        {"id": stale["id"]},
    )
    sql(
        clean_db,
        "UPDATE conveyor.api_keys SET created_at = now() - interval '300 days' WHERE id = %(id)s",
        gone,
    )

    review = json.loads(ok(conveyor_admin(clean_db, "access-review", "--format", "json")))

    assert [u["email"] for u in review["users"]] == [
        "active-admin@example.com",
        "absent-admin@example.com",
        "operator@example.com",
    ]
    # The sign-in (a session created, as the API does) is recorded on the user by migration 0010.
    assert review["users"][0]["last_sign_in_at"] is not None
    assert review["users"][1]["last_sign_in_at"] is None
    keys = {k["prefix"]: k for k in review["api_keys"]}
    assert keys[gone["prefix"]]["status"] == "revoked"
    assert keys[stale["prefix"]]["owner_email"] == "operator@example.com"
    assert keys[stale["prefix"]]["last_used_at"] is not None
    assert [(s["email"], s["ip"]) for s in review["sessions"]] == [
        ("active-admin@example.com", "198.51.100.1")
    ]
    findings = sorted((f["finding"], f["email"], f.get("key_prefix")) for f in review["findings"])
    assert findings == sorted(
        [
            ("admin-without-recent-sign-in", "absent-admin@example.com", None),
            ("stale-key", "operator@example.com", stale["prefix"]),
            ("key-without-expiry", "active-admin@example.com", forever["prefix"]),
        ]
    )
    assert fresh["prefix"] in keys and not keys[fresh["prefix"]]["findings"]

    # The window is the reviewer's: a key used 120 days ago is not stale under a 200-day policy.
    relaxed = json.loads(ok(conveyor_admin(clean_db, "access-review", "--stale-key-days", "200")))
    assert "stale-key" not in {f["finding"] for f in relaxed["findings"]}


async def test_access_review_as_csv_one_row_per_user_key_and_session(
    pool: Pool, clean_db: str, tmp_path: Path
) -> None:
    admin = await create_user(pool, "admin@example.com", "admin")
    assert admin
    key, _ = await create_api_key(pool, admin["id"], "cli")
    await create_session(pool, admin["id"], 3600, ip="192.0.2.4", user_agent=None)
    report = tmp_path / "review.csv"

    result = ok(conveyor_admin(clean_db, "access-review", "--format", "csv", "--output", str(report)))

    assert result == ""
    assert report.stat().st_mode & 0o077 == 0  # names people: not readable by others
    rows = list(csv.DictReader(io.StringIO(report.read_text())))
    assert [r["record"] for r in rows] == ["user", "api_key", "session"]
    assert rows[1]["key_prefix"] == key["prefix"]
    assert rows[1]["findings"] == "key-without-expiry"
    assert rows[0]["findings"] == ""  # signed in just now
    assert rows[2]["ip"] == "192.0.2.4"


def test_the_installed_command_runs_the_review(clean_db: str) -> None:
    """The console script itself (not the in-process runner) reaches the database and reports."""
    done = subprocess.run(
        [sys.executable, "-m", "conveyor", "admin", "access-review", "--format", "csv"],
        env=process_env(clean_db),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [",".join(CSV_COLUMNS)]  # an empty database: the header only


def test_access_review_refuses_unknown_formats_and_bad_windows(clean_db: str, tmp_path: Path) -> None:
    report = tmp_path / "review.xml"
    refused(
        conveyor_admin(clean_db, "access-review", "--format", "xml", "-o", str(report)), 2, "--format", "xml"
    )
    refused(conveyor_admin(clean_db, "access-review", "--stale-key-days", "0"), 2, "--stale-key-days")
    refused(
        conveyor_admin(clean_db, "access-review", "-o", str(tmp_path / "no-such-dir" / "r.json")),
        2,
        "no-such-dir does not exist",
    )
    assert not report.exists()


# -- audit export, hash chain, retention ----------------------------------------------------------


async def _audit_history(pool: Pool, database_url: str) -> None:
    user = await create_user(pool, "someone@example.com", "operator")
    assert user
    for n in range(6):
        await audit(pool, user["id"], f"POST /api/v1/jobs #{n}")
    # Spread them over days: ids 1-2 in January, 3-5 in February, 6 in March.
    for ids, day in (((1, 2), "2026-01-10"), ((3, 4, 5), "2026-02-10"), ((6,), "2026-03-10")):
        sql(
            database_url,
            "UPDATE conveyor.audit_log SET at = %(day)s WHERE id = ANY(%(ids)s)",
            {"day": day, "ids": list(ids)},
        )


async def test_audit_export_by_range_with_a_hash_chain_that_detects_tampering(
    pool: Pool, clean_db: str, tmp_path: Path
) -> None:
    await _audit_history(pool, clean_db)
    export = tmp_path / "audit.jsonl"

    result = conveyor_admin(
        clean_db, "audit-export", "--since", "2026-02-01T00:00:00Z", "--until", "2026-03-01T00:00:00Z",
        "--hash-chain", "-o", str(export),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    lines = export.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [3, 4, 5]
    assert json.loads(lines[0])["ip"] == "203.0.113.7"
    head = result.stderr.split("chain head ")[1].split()[0]
    verified = ok(conveyor_admin(clean_db, "audit-verify", str(export), "--expect-head", head))
    assert "3 entries, chain intact" in verified

    def tampered(name: str, new_lines: list[str]) -> str:
        path = tmp_path / name
        path.write_text("\n".join(new_lines) + "\n")
        return str(path)

    modified = json.loads(lines[1])
    modified["status"] = 200
    changed = tampered("modified.jsonl", [lines[0], json.dumps(modified), lines[2]])
    refused(conveyor_admin(clean_db, "audit-verify", changed), 1, "line 2", "does not match its hash")
    removed = tampered("removed.jsonl", [lines[0], lines[2]])
    refused(conveyor_admin(clean_db, "audit-verify", removed), 1, "line 2", "removed, inserted or reordered")
    reordered = tampered("reordered.jsonl", [lines[1], lines[0], lines[2]])
    refused(conveyor_admin(clean_db, "audit-verify", reordered), 1, "line 1", "reordered")
    # Cutting the end leaves a valid, shorter chain: only the recorded head tells.
    truncated = tampered("truncated.jsonl", lines[:2])
    ok(conveyor_admin(clean_db, "audit-verify", truncated))
    refused(
        conveyor_admin(clean_db, "audit-verify", truncated, "--expect-head", head), 1, "removed from the end"
    )


async def test_consecutive_exports_continue_one_chain(pool: Pool, clean_db: str, tmp_path: Path) -> None:
    await _audit_history(pool, clean_db)
    first, second = tmp_path / "q1.jsonl", tmp_path / "q2.jsonl"
    one = conveyor_admin(
        clean_db, "audit-export", "--until", "2026-02-01T00:00:00Z", "--hash-chain", "-o", str(first)
    )
    head = one.stderr.split("chain head ")[1].split()[0]
    two = conveyor_admin(
        clean_db, "audit-export", "--since", "2026-02-01T00:00:00Z", "--chain-from", head, "-o", str(second)
    )
    assert two.returncode == 0, two.stderr

    ok(conveyor_admin(clean_db, "audit-verify", str(second), "--chain-from", head))
    joined = tmp_path / "year.jsonl"
    joined.write_text(first.read_text() + second.read_text())
    assert "6 entries, chain intact" in ok(conveyor_admin(clean_db, "audit-verify", str(joined)))
    refused(conveyor_admin(clean_db, "audit-verify", str(second)), 1, "line 1", "does not start the chain")


def test_audit_export_refuses_bad_ranges_and_formats(clean_db: str, tmp_path: Path) -> None:
    out = tmp_path / "audit.out"
    cases = [
        (["--since", "2026-03-01T00:00:00Z", "--until", "2026-02-01T00:00:00Z"], "must be before --until"),
        (["--since", "yesterday"], "--since 'yesterday' is not an RFC 3339 time"),
        (["--until", "2026-02-01T00:00:00"], "needs a time zone offset"),
        (["--format", "xlsx"], "--format 'xlsx' is not one of: jsonl, csv"),
        (["--format", "csv", "--hash-chain"], "--hash-chain needs --format jsonl"),
        (["--chain-from", "abc"], "not a SHA-256 hex digest"),
    ]
    for args, message in cases:
        refused(conveyor_admin(clean_db, "audit-export", *args, "-o", str(out)), 2, message)
    assert not out.exists()


async def test_audit_export_as_csv(pool: Pool, clean_db: str) -> None:
    await _audit_history(pool, clean_db)
    rows = list(csv.DictReader(io.StringIO(ok(conveyor_admin(clean_db, "audit-export", "--format", "csv")))))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert rows[0]["action"] == "POST /api/v1/jobs #0"


async def test_audit_retention_deletes_only_entries_past_it(pool: Pool, clean_db: str) -> None:
    await _audit_history(pool, clean_db)
    await audit(pool, None, "recent")
    maintenance = Maintenance(
        pool,
        MaintenanceConfig(retention_succeeded=0, retention_failed=0, notify=False, retention_audit=86400),
    )
    await maintenance.clean()
    assert sql(clean_db, "SELECT action FROM conveyor.audit_log") == [("recent",)]

    keep_forever = Maintenance(
        pool, MaintenanceConfig(retention_succeeded=0, retention_failed=0, notify=False)
    )
    sql(clean_db, "UPDATE conveyor.audit_log SET at = '2020-01-01'")
    await keep_forever.clean()
    assert sql(clean_db, "SELECT count(*) FROM conveyor.audit_log") == [(1,)]


# -- erasure --------------------------------------------------------------------------------------


async def test_erase_user_pseudonymises_and_keeps_the_audit_trail(pool: Pool, clean_db: str) -> None:
    await create_user(pool, "admin@example.com", "admin")
    other = await create_user(pool, "other@example.com", "operator")
    bob = await create_user(pool, "Bob.Person@example.com", "admin", name="Bob Person", password="pw of bob!")
    assert other and bob
    _, bob_key = await create_api_key(pool, bob["id"], "Bob's laptop")
    session_id, _, _ = await create_session(pool, bob["id"], 3600, ip="198.51.100.23", user_agent="Firefox")
    await audit(pool, bob["id"], "POST /api/v1/jobs", ip="198.51.100.23")
    await audit(pool, other["id"], "DELETE /api/v1/jobs/{id}", ip="192.0.2.50")
    before = sql(clean_db, "SELECT id, user_id, action FROM conveyor.audit_log ORDER BY id")

    result = json.loads(
        ok(conveyor_admin(clean_db, "erase-user", "--email", "bob.person@example.com", "--yes"))
    )

    assert result["user_id"] == bob["id"]
    assert result["api_keys_revoked"] == 1
    assert result["sessions_ended"] == 1
    assert result["audit_addresses_removed"] == 1
    user = sql(
        clean_db,
        "SELECT email, name, password_hash, disabled, erased_at FROM conveyor.users WHERE id = %(id)s",
        bob,
    )
    assert user[0][:4] == (f"erased-user-{bob['id']}@erased.invalid", None, None, True)
    assert user[0][4] is not None
    # Nothing in the database names Bob any more ...
    dump = "\n".join(
        str(row)
        for table in ("users", "api_keys", "sessions", "audit_log")
        for row in sql(clean_db, f"SELECT * FROM conveyor.{table}")
    )
    for personal in ("Bob", "bob.person", "198.51.100.23", "Firefox"):
        assert personal.lower() not in dump.lower()
    # ... the audit trail still says which account did what, and gains the erasure itself ...
    after = sql(clean_db, "SELECT id, user_id, action FROM conveyor.audit_log ORDER BY id")
    assert after[: len(before)] == before
    assert after[-1][1:] == (None, "admin erase-user")
    assert sql(clean_db, "SELECT ip FROM conveyor.audit_log WHERE user_id = %(id)s", other) == [
        ("192.0.2.50",)
    ]
    # ... and the account can do nothing.
    assert await authenticate(pool, bob_key) is None
    assert await authenticate_session(pool, session_id) is None

    again = json.loads(ok(conveyor_admin(clean_db, "erase-user", "--id", str(bob["id"]), "--yes")))
    assert again == {"user_id": bob["id"], "already_erased": True}


async def test_erase_user_refuses_ambiguous_or_dangerous_requests(pool: Pool, clean_db: str) -> None:
    admin = await create_user(pool, "only-admin@example.com", "admin")
    await create_user(pool, "Twin@example.com", "viewer")
    await create_user(pool, "twin@example.com", "viewer")
    assert admin
    snapshot = sql(clean_db, "SELECT * FROM conveyor.users ORDER BY id")

    refused(
        conveyor_admin(clean_db, "erase-user", "--id", str(admin["id"]), "--yes"), 1, "last enabled admin"
    )
    refused(
        conveyor_admin(clean_db, "erase-user", "--email", "TWIN@example.com", "--yes"),
        1,
        "matches 2 users",
        "--id",
    )
    refused(conveyor_admin(clean_db, "erase-user", "--yes"), 2, "--email or --id")
    refused(
        conveyor_admin(clean_db, "erase-user", "--email", "twin@example.com", "--id", "2", "--yes"),
        2,
        "not both",
    )
    refused(conveyor_admin(clean_db, "erase-user", "--email", "nobody@example.com", "--yes"), 1, "no user")
    # Without --yes and without a terminal to ask on: refused, not assumed.
    refused(conveyor_admin(clean_db, "erase-user", "--id", "2", stdin="y\n"), 1, "pass --yes")

    assert sql(clean_db, "SELECT * FROM conveyor.users ORDER BY id") == snapshot
    assert sql(clean_db, "SELECT count(*) FROM conveyor.audit_log") == [(0,)]


# -- rotation -------------------------------------------------------------------------------------


async def test_rotate_key_with_overlap_then_revoke(pool: Pool, clean_db: str) -> None:
    user = await create_user(pool, "service@example.com", "operator")
    assert user
    old, old_secret = await create_api_key(pool, user["id"], "billing")

    result = conveyor_admin(clean_db, "rotate-key", "--prefix", old["prefix"], "--overlap", "3600")

    new_secret = ok(result).strip()
    assert new_secret.startswith("cvk_") and new_secret != old_secret
    assert f"replaces {old['prefix']}" in result.stderr
    new_principal, old_principal = await authenticate(pool, new_secret), await authenticate(pool, old_secret)
    assert new_principal is not None and old_principal is not None  # both work during the overlap
    assert new_principal.user_id == old_principal.user_id == user["id"]
    names = sql(clean_db, "SELECT name, expires_at IS NOT NULL FROM conveyor.api_keys ORDER BY id")
    assert names == [("billing", True), ("billing", False)]
    remaining = sql(clean_db, "SELECT expires_at - now() FROM conveyor.api_keys WHERE id = %(id)s", old)[0][0]
    assert timedelta(minutes=50) < remaining <= timedelta(hours=1)

    new_prefix = new_secret.split("_")[1]
    immediate = conveyor_admin(clean_db, "rotate-key", "--prefix", new_prefix, "--overlap", "0")
    assert await authenticate(pool, ok(immediate).strip()) is not None
    assert await authenticate(pool, new_secret) is None

    ok(conveyor_admin(clean_db, "revoke-key", "--prefix", old["prefix"]))
    assert await authenticate(pool, old_secret) is None
    refused(conveyor_admin(clean_db, "rotate-key", "--prefix", old["prefix"]), 1, "was revoked")
    refused(conveyor_admin(clean_db, "rotate-key", "--prefix", "nope"), 1, "no API key with prefix 'nope'")
    expired, _ = await create_api_key(pool, user["id"], "old", datetime.now(UTC) - timedelta(days=1))
    refused(conveyor_admin(clean_db, "rotate-key", "--prefix", expired["prefix"]), 1, "expired at")
    refused(conveyor_admin(clean_db, "rotate-key", "--prefix", new_prefix, "--overlap", "-1"), 2, "--overlap")


async def test_end_sessions_signs_users_out(pool: Pool, clean_db: str) -> None:
    one = await create_user(pool, "one@example.com", "viewer")
    two = await create_user(pool, "two@example.com", "viewer")
    assert one and two
    first, _, _ = await create_session(pool, one["id"], 3600, ip=None, user_agent=None)
    second, _, _ = await create_session(pool, two["id"], 3600, ip=None, user_agent=None)

    assert "1 console sessions ended" in ok(
        conveyor_admin(clean_db, "end-sessions", "--email", "one@example.com")
    )
    assert await authenticate_session(pool, first) is None
    assert await authenticate_session(pool, second) is not None
    refused(conveyor_admin(clean_db, "end-sessions"), 2, "--email or --all")
    ok(conveyor_admin(clean_db, "end-sessions", "--all"))
    assert await authenticate_session(pool, second) is None


def answer_prompt(database_url: str, args: list[str], answer: bytes) -> tuple[int, str]:
    """Run ``conveyor admin …`` on a pseudo-terminal, answer its question, return (code, output)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "conveyor", "admin", *args],
        env=process_env(database_url),
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=REPO,
    )
    os.close(follower)
    output, answered = b"", False
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            assert ready, f"no output for 60 s: {output!r}"
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if not answered and b"cannot be undone" in output:
                os.write(leader, answer)
                answered = True
    finally:
        os.close(leader)
    return proc.wait(60), output.decode(errors="replace")


async def test_erase_user_asks_at_a_terminal_and_no_means_no(pool: Pool, clean_db: str) -> None:
    await create_user(pool, "admin@example.com", "admin")
    carol = await create_user(pool, "carol@example.com", "viewer")
    assert carol

    code, output = answer_prompt(clean_db, ["erase-user", "--email", "carol@example.com"], b"n\n")
    assert code == 1 and "not confirmed; nothing changed" in output
    assert sql(clean_db, "SELECT email FROM conveyor.users WHERE id = %(id)s", carol) == [
        ("carol@example.com",)
    ]

    code, output = answer_prompt(clean_db, ["erase-user", "--email", "carol@example.com"], b"y\n")
    assert code == 0, output
    assert sql(clean_db, "SELECT erased_at IS NOT NULL FROM conveyor.users WHERE id = %(id)s", carol) == [
        (True,)
    ]
