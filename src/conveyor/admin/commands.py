"""The security ``conveyor admin`` commands (registered on the CLI's admin group by cli.py).

They work on the database directly, with its credentials, like ``admin create-key``: an access
review or an erasure must not depend on a running API, and they are an operator's tools, not a
Conveyor user's. Each checks its input before it touches the database, and writes a file only
whole (a temporary file renamed into place).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO, TypeVar

import typer

if TYPE_CHECKING:
    from conveyor.store.database import Pool

T = TypeVar("T")
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")]


def _fail(message: str, code: int = 1) -> NoReturn:
    from conveyor.cli import fail

    fail(message, code)


def with_database(work: Callable[[Pool], Awaitable[T]]) -> T:
    from conveyor.cli import settings
    from conveyor.store.database import database_url, open_pool
    from conveyor.store.migrate import SchemaNotReady, ensure_migrated

    url = database_url(settings())
    try:
        ensure_migrated(url)
    except SchemaNotReady as exc:
        _fail(str(exc))

    async def run() -> T:
        pool = await open_pool(url, size=1, name="conveyor-admin")
        try:
            await pool.wait()
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(run())


@contextmanager
def written_whole(output: Path | None) -> Iterator[TextIO]:
    """Standard output, or a file that appears only complete: written to a temporary file beside
    it and renamed into place on success, removed on any failure. Mode 0600: reviews and exports
    name people."""
    if output is None:
        yield sys.stdout
        return
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
        os.chmod(tmp, 0o600)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_output(output: Path | None) -> None:
    if output is not None and not output.parent.is_dir():
        _fail(f"--output {output}: the directory {output.parent} does not exist", 2)


def parse_instant(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        _fail(f"{option} {value!r} is not an RFC 3339 time like 2026-01-01T00:00:00Z", 2)
    if parsed.tzinfo is None:
        _fail(f"{option} {value!r} needs a time zone offset, e.g. Z or +02:00", 2)
    return parsed


def check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        _fail(f"--format {fmt!r} is not one of: {', '.join(allowed)}", 2)


def register(admin: typer.Typer) -> None:
    """Add the commands to the ``conveyor admin`` group."""

    @admin.command("access-review")
    def access_review(
        fmt: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
        stale_key_days: Annotated[int, typer.Option(help="A live key unused this long is stale.")] = 90,
        admin_sign_in_days: Annotated[
            int, typer.Option(help="An admin who has not signed in this long is flagged.")
        ] = 90,
        output: Output = None,
    ) -> None:
        """Every user, role, API key and console session, with the findings to act on."""
        from conveyor.admin.access_review import FORMATS, ReviewPolicy, build_review, render

        check_format(fmt, FORMATS)
        check_output(output)
        try:
            policy = ReviewPolicy(stale_key_days, admin_sign_in_days)
        except ValueError as exc:
            _fail(f"--{exc}", 2)
        review = with_database(lambda pool: build_review(pool, policy))
        with written_whole(output) as handle:
            handle.write(render(review, fmt))
        if output is not None:
            typer.echo(f"{len(review['findings'])} findings; report in {output}", err=True)

    @admin.command("audit-export")
    def audit_export(
        since: Annotated[str | None, typer.Option(help="RFC 3339; entries at or after it.")] = None,
        until: Annotated[str | None, typer.Option(help="RFC 3339; entries before it (default: now).")] = None,
        fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
        hash_chain: Annotated[
            bool, typer.Option("--hash-chain", help="Chain the lines by SHA-256 (tamper evidence; jsonl).")
        ] = False,
        chain_from: Annotated[
            str | None, typer.Option(help="Continue the chain of a previous export from its head hash.")
        ] = None,
        output: Output = None,
    ) -> None:
        """Export the audit log between two instants, in the order it was written."""
        from conveyor.admin import audit

        check_format(fmt, audit.FORMATS)
        check_output(output)
        start = parse_instant(since, "--since") or datetime(1970, 1, 1, tzinfo=UTC)
        end = parse_instant(until, "--until") or datetime.now(UTC)
        if start >= end:
            _fail(f"--since ({start.isoformat()}) must be before --until ({end.isoformat()})", 2)
        if (hash_chain or chain_from) and fmt != "jsonl":
            _fail("--hash-chain needs --format jsonl", 2)
        if chain_from is not None and not _is_digest(chain_from):
            _fail(f"--chain-from {chain_from!r} is not a SHA-256 hex digest (64 hex digits)", 2)
        chain = audit.Chain(head=chain_from or audit.GENESIS) if (hash_chain or chain_from) else None

        async def export(pool: Pool) -> None:
            # Streamed: any number of entries in bounded memory.
            with written_whole(output) as handle:
                if fmt == "csv":
                    handle.write(audit.csv_header())
                async for entry in audit.entries(pool, start, end):
                    if chain is not None:
                        handle.write(audit.jsonl_line(chain.add(entry)))
                    else:
                        handle.write(audit.jsonl_line(entry) if fmt == "jsonl" else audit.csv_line(entry))

        with_database(export)
        if chain is not None:
            typer.echo(f"exported {chain.count} entries; chain head {chain.head}", err=True)

    @admin.command("audit-verify")
    def audit_verify(
        file: Annotated[Path, typer.Argument(help="A JSON-lines export made with --hash-chain.")],
        chain_from: Annotated[str | None, typer.Option(help="The head the export continued from.")] = None,
        expect_head: Annotated[
            str | None, typer.Option(help="The head recorded at export time (detects removed last lines).")
        ] = None,
    ) -> None:
        """Check an export's hash chain: a changed, removed or reordered line is reported."""
        from conveyor.admin import audit

        for option, value in (("--chain-from", chain_from), ("--expect-head", expect_head)):
            if value is not None and not _is_digest(value):
                _fail(f"{option} {value!r} is not a SHA-256 hex digest (64 hex digits)", 2)
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read {file}: {exc}", 2)
        try:
            chain = audit.verify(lines, chain_from=chain_from or audit.GENESIS)
        except audit.ChainBroken as exc:
            _fail(f"{file}: tampered: {exc}")
        if expect_head is not None and chain.head != expect_head:
            _fail(
                f"{file}: the chain is intact but ends at {chain.head} after {chain.count} entries, "
                f"not at the recorded head {expect_head}: lines were removed from the end (or added)"
            )
        typer.echo(f"{file}: {chain.count} entries, chain intact, head {chain.head}")

    @admin.command("erase-user")
    def erase_user(
        email: Annotated[str | None, typer.Option(help="The user's email (matched ignoring case).")] = None,
        user_id: Annotated[int | None, typer.Option("--id", help="The user's id.")] = None,
        yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    ) -> None:
        """Remove a user's personal data (pseudonymise), keeping the audit trail consistent."""
        from conveyor.admin.erasure import ErasureRefused, erase, find_target

        if email is None and user_id is None:
            _fail("name the user with --email or --id", 2)
        if email is not None and user_id is not None:
            _fail("name the user with --email or --id, not both", 2)

        async def run(pool: Pool) -> dict[str, Any]:
            target = await find_target(pool, email=email, user_id=user_id)
            if target.already_erased:
                return {"user_id": target.id, "already_erased": True}
            if not yes:
                question = (
                    f"Erase the personal data of user {target.id} ({target.email}, {target.role})? "
                    "This cannot be undone."
                )
                if not sys.stdin.isatty():
                    raise ErasureRefused(f"{question} Not confirmed: pass --yes when not at a terminal")
                if not typer.confirm(question, default=False):
                    raise ErasureRefused("not confirmed; nothing changed")
            return await erase(pool, target)

        try:
            result = with_database(run)
        except ErasureRefused as exc:
            _fail(str(exc))
        typer.echo(json.dumps(result, indent=2))

    @admin.command("rotate-key")
    def rotate_key(
        prefix: Annotated[str, typer.Option(help="The key's prefix (cvk_<prefix>_…).")],
        overlap: Annotated[
            float, typer.Option(help="Seconds the old key keeps working beside the new one.")
        ] = 86400,
    ) -> None:
        """Issue a replacement API key (printed once); the old one expires after the overlap."""
        from conveyor.admin.rotation import RotationRefused
        from conveyor.admin.rotation import rotate_key as rotate

        if overlap < 0:
            _fail("--overlap must be 0 or more seconds", 2)
        try:
            record, secret = with_database(lambda pool: rotate(pool, prefix, overlap))
        except RotationRefused as exc:
            _fail(str(exc))
        typer.echo(
            f"key {record['prefix']} replaces {prefix} for {record['owner_email']}; "
            f"{prefix} stops working at {record['old_key_expires_at'].isoformat()}",
            err=True,
        )
        typer.echo(secret)

    @admin.command("revoke-key")
    def revoke_key(prefix: Annotated[str, typer.Option(help="The key's prefix (cvk_<prefix>_…).")]) -> None:
        """Revoke an API key at once (a leaked key)."""
        from conveyor.admin.rotation import RotationRefused
        from conveyor.admin.rotation import revoke_key as revoke

        try:
            record = with_database(lambda pool: revoke(pool, prefix))
        except RotationRefused as exc:
            _fail(str(exc))
        typer.echo(f"key {prefix} of {record['owner_email']} revoked at {record['revoked_at'].isoformat()}")

    @admin.command("end-sessions")
    def end_sessions(
        email: Annotated[str | None, typer.Option(help="Sign this user out of the console.")] = None,
        everyone: Annotated[bool, typer.Option("--all", help="Sign every user out.")] = False,
    ) -> None:
        """End console sessions (one user's, or with --all everyone's): the session-key rotation."""
        from conveyor.admin.rotation import RotationRefused
        from conveyor.admin.rotation import end_sessions as end

        if (email is None) == (not everyone):
            _fail("pass exactly one of --email or --all", 2)
        try:
            count = with_database(lambda pool: end(pool, email=email))
        except RotationRefused as exc:
            _fail(str(exc))
        typer.echo(f"{count} console sessions ended")


def _is_digest(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)
