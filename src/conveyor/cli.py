"""The ``conveyor`` command: run the processes, and manage jobs and schedules through the API."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import TypeAdapter
from rich import box
from rich.console import Console
from rich.table import Table

from conveyor.admin.commands import register as register_security_commands
from conveyor.client import ApiError, Client
from conveyor.engine.models import Job
from conveyor.inputs import unstorable
from conveyor.settings import Settings, SettingsError, get_settings

app = typer.Typer(
    help="Conveyor: jobs, schedules and queues on PostgreSQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
jobs_app = typer.Typer(help="Submit and inspect jobs.", no_args_is_help=True)
schedules_app = typer.Typer(help="Cron schedules.", no_args_is_help=True)
admin_app = typer.Typer(help="Administration that works without the API (bootstrap).", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(schedules_app, name="schedules")
app.add_typer(admin_app, name="admin")
out = Console()
err = Console(stderr=True, soft_wrap=True)

Port = Annotated[int | None, typer.Option(help="Port; default from CONVEYOR_<PROCESS>_PORT.")]
Host = Annotated[str, typer.Option(help="Interface to bind.")]


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        fail(str(exc), 2)


# -- processes ---------------------------------------------------------------------------------


@app.command()
def up(
    reload: Annotated[
        bool, typer.Option("--reload", help="Restart the processes when a source file changes.")
    ] = False,
    watch: Annotated[
        list[Path] | None, typer.Option(help="Folder to watch with --reload; default the package.")
    ] = None,
    https: Annotated[
        bool, typer.Option("--https", help="Serve the API and console over TLS from a local CA.")
    ] = False,
) -> None:
    """Run the whole platform locally (embedded PostgreSQL in .conveyor/ unless configured)."""
    from conveyor.local import up as run_up

    try:
        code = run_up(settings(), reload=reload, watch=watch, https=https)
    except RuntimeError as exc:
        fail(str(exc), 2)
    raise typer.Exit(code)


@app.command()
def api(port: Port = None, host: Host = "") -> None:
    """Serve the HTTP API (/api/v1, /livez, /readyz, /metrics)."""
    from conveyor.processes import run_api

    s = settings()
    _run(run_api, s, port or s.api_port, host or s.api_host)


@app.command()
def web(port: Port = None, host: Host = "") -> None:
    """Serve the web console; it signs users in and works through the API at CONVEYOR_API_URL."""
    from conveyor.processes import run_web

    s = settings()
    _run(run_web, s, port or s.web_port, host or s.web_host)


@app.command()
def worker(port: Port = None, host: Host = "") -> None:
    """Run jobs from the queues in CONVEYOR_WORKER_QUEUES; probes and /metrics on --port."""
    from conveyor.processes import run_worker

    s = settings()
    _run(run_worker, s, port or s.worker_port, host or s.probes_host)


@app.command()
def scheduler(port: Port = None, host: Host = "") -> None:
    """Fire cron schedules and run maintenance (lease rescue, retention); safe to replicate."""
    from conveyor.processes import run_scheduler

    s = settings()
    _run(run_scheduler, s, port or s.scheduler_port, host or s.probes_host)


def _run(target: Any, s: Settings, port: int, host: str) -> None:
    from conveyor import flags
    from conveyor.store.migrate import SchemaNotReady

    try:
        target(s, port, host)
    except SchemaNotReady as exc:
        fail(str(exc))
    except flags.FlagFileError as exc:
        fail(str(exc), 2)
    finally:
        flags.shutdown()


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from conveyor.store import migrate as migrations
    from conveyor.store.database import database_url

    revision = migrations.upgrade(database_url(settings()))
    out.print(f"database schema at revision {revision}")


@app.command()
def seed(
    jobs: Annotated[
        int, typer.Option("--jobs", help="How many jobs, across every state (at most 100,000).")
    ] = 1000,
    force: Annotated[
        bool, typer.Option("--force", help="Seed a non-empty production database anyway.")
    ] = False,
) -> None:
    """Fill the database with a realistic installation: users, queues with limits, schedules,
    webhooks and jobs in every state with their history. Safe to run again."""
    from rich.progress import Progress

    from conveyor.engine.jobs import EngineDefaults, Jobs
    from conveyor.engine.schedules import Schedules
    from conveyor.handlers import discover
    from conveyor.seed import MAX_JOBS, SeedRefused
    from conveyor.seed import seed as run_seed
    from conveyor.store.database import database_url, open_pool
    from conveyor.store.migrate import SchemaNotReady, ensure_migrated

    if not 0 <= jobs <= MAX_JOBS:
        fail(f"--jobs must be between 0 and {MAX_JOBS:,}, not {jobs:,}", 2)
    s = settings()
    url = database_url(s)
    try:
        ensure_migrated(url)
    except SchemaNotReady as exc:
        fail(str(exc))

    async def fill(advance: Callable[[int], None]) -> Any:
        pool = await open_pool(url, size=2, name="conveyor-seed")
        try:
            await pool.wait()
            engine = Jobs(pool, discover(), EngineDefaults.from_settings(s))
            return await run_seed(
                pool,
                engine,
                Schedules(engine, misfire_grace=s.misfire_grace_seconds),
                count=jobs,
                production=s.env == "production",
                force=force,
                progress=advance,
            )
        finally:
            await pool.close()

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("seeding jobs", total=jobs)
        try:
            report = asyncio.run(fill(lambda n: bar.advance(task, n)))
        except SeedRefused as exc:
            fail(str(exc), 2)
    added = ", ".join(f"{n:,} {state}" for state, n in sorted(report.jobs.items())) or "none (already there)"
    out.print(
        f"seeded {report.users} users, {report.queues} queues, {report.schedules} schedules, "
        f"{report.webhooks} webhook; jobs added: {added}",
        highlight=False,
    )


# -- admin -------------------------------------------------------------------------------------


@admin_app.command("create-key")
def create_key(
    email: Annotated[str, typer.Option(help="User to issue the key for; created if missing.")],
    role: Annotated[str, typer.Option(help="admin, operator or viewer (for a new user).")] = "operator",
    name: Annotated[str, typer.Option(help="A label for the key.")] = "cli",
) -> None:
    """Issue an API key directly in the database and print it once."""
    from conveyor.factories import user_with_key
    from conveyor.store.database import database_url, open_pool
    from conveyor.store.migrate import ensure_migrated

    if role not in ("admin", "operator", "viewer"):
        fail(f"--role must be admin, operator or viewer, not {role!r}", 2)
    if "@" not in email:
        fail(f"--email {email!r} is not an email address", 2)
    # This path writes to the database directly, without the API's input models.
    for option, value in (("--email", email), ("--name", name)):
        if reason := unstorable(value):
            fail(f"{option} {reason} (bytes that are not UTF-8 text?)", 2)
    url = database_url(settings())
    ensure_migrated(url)

    async def issue() -> str:
        pool = await open_pool(url, size=1, name="conveyor-cli")
        try:
            await pool.wait()
            _, key = await user_with_key(pool, email, role, name)  # type: ignore[arg-type]
            return key
        finally:
            await pool.close()

    print(asyncio.run(issue()))


# access-review, audit-export/-verify, erase-user, key and session rotation (docs/security/).
register_security_commands(admin_app)


# -- API clients -------------------------------------------------------------------------------


def client() -> Client:
    s = settings()
    key = s.api_key
    if not key:
        path = s.home / "admin.key"
        key = path.read_text().strip() if path.exists() else None
    if not key:
        fail("no API key: set CONVEYOR_API_KEY (or run `conveyor up`, which saves one)", 2)
    return Client(s.api_url, key, ca_file=s.api_ca_file)


def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except ApiError as exc:
        errors = exc.problem.get("errors", [])
        if not errors:
            fail(str(exc))
        # The problem's detail repeats its errors in one line: print each error once, on its own.
        title = exc.problem.get("title") or "invalid request"
        fail("\n".join([f"{exc.status}: {title}", *(f"  {e['field']}: {e['message']}" for e in errors)]))
    except OSError as exc:
        fail(f"cannot reach the API: {exc}")


def parse_json(text: str | None, option: str) -> Any:
    if text is None:
        return {}
    if text.startswith("@"):
        text = Path(text[1:]).read_text()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{option} is not valid JSON: {exc}", 2)


def print_json(data: Any) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(type(data))
    out.print_json(adapter.dump_json(data).decode())


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%m-%d %H:%M:%S") if moment else ""


def compact_table(*headers: str, whole: tuple[str, ...] = ()) -> Table:
    """A table that fits an 80-column terminal: light borders, times in UTC said once in the
    caption, the short columns in ``whole`` (ids, states, times) never wrapped; names fold."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0), caption="times in UTC")
    for header in headers:
        table.add_column(header, no_wrap=header in whole, overflow="fold")
    return table


def jobs_table(items: list[Job]) -> Table:
    table = compact_table(
        "id",
        "type",
        "queue",
        "state",
        "tries",
        "created",
        "finished",
        whole=("id", "state", "tries", "created", "finished"),
    )
    for j in items:
        table.add_row(
            str(j.id),
            j.type,
            j.queue,
            j.state,
            f"{j.attempts}/{j.max_attempts}",
            when(j.created_at),
            when(j.finished_at),
        )
    return table


JsonOpt = Annotated[str | None, typer.Option("--payload", "-p", help="JSON object, or @file.json.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@jobs_app.command("submit")
def jobs_submit(
    type: Annotated[str, typer.Argument(help="Job type, e.g. http, echo, sleep.")],
    payload: JsonOpt = None,
    queue: Annotated[str, typer.Option()] = "default",
    priority: Annotated[int, typer.Option(help="Higher runs first.")] = 0,
    run_at: Annotated[str | None, typer.Option(help="RFC 3339 time, e.g. 2030-01-01T09:00:00Z.")] = None,
    max_attempts: Annotated[int | None, typer.Option()] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per attempt.")] = None,
    idempotency_key: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Submit one job and print it."""
    if run_at is not None:
        try:
            parsed = datetime.fromisoformat(run_at.replace("Z", "+00:00"))
        except ValueError:
            fail(f"--run-at {run_at!r} is not an RFC 3339 time like 2030-01-01T09:00:00Z", 2)
        if parsed.tzinfo is None:
            fail("--run-at needs a time zone offset, e.g. Z or +02:00", 2)
    body = {
        "type": type,
        "payload": parse_json(payload, "--payload"),
        "queue": queue,
        "priority": priority,
        "run_at": run_at,
        "max_attempts": max_attempts,
        "timeout_seconds": timeout,
    }
    with client() as c:
        job = call(
            c.submit, {k: v for k, v in body.items() if v is not None}, idempotency_key=idempotency_key
        )
    print_json(job)


@jobs_app.command("list")
def jobs_list(
    state: Annotated[str | None, typer.Option()] = None,
    queue: Annotated[str | None, typer.Option()] = None,
    type: Annotated[str | None, typer.Option("--type")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: AsJson = False,
) -> None:
    """List jobs, newest first."""
    with client() as c:
        page = call(c.list_jobs, state=state, queue=queue, type=type, limit=limit)
    if as_json:
        print_json(page)
    else:
        out.print(jobs_table(page.items))


@jobs_app.command("show")
def jobs_show(job_id: int) -> None:
    """Show a job and its events."""
    with client() as c:
        job = call(c.get_job, job_id)
        events = call(c.job_events, job_id)
    print_json({**job.model_dump(mode="json"), "events": [e.model_dump(mode="json") for e in events]})


@jobs_app.command("cancel")
def jobs_cancel(job_id: int) -> None:
    """Cancel a job (a running job is asked to stop)."""
    with client() as c:
        print_json(call(c.cancel, job_id))


@jobs_app.command("retry")
def jobs_retry(job_id: int) -> None:
    """Run a dead, cancelled or waiting job again now."""
    with client() as c:
        print_json(call(c.retry, job_id))


@schedules_app.command("create")
def schedules_create(
    name: str,
    cron: Annotated[str, typer.Option(help="'*/5 * * * *' or '@every 30s'.")],
    type: Annotated[str, typer.Option("--type", help="Job type to enqueue.")],
    payload: JsonOpt = None,
    queue: Annotated[str, typer.Option()] = "default",
    timezone: Annotated[str, typer.Option()] = "UTC",
    misfire_policy: Annotated[str, typer.Option(help="skip or catch_up")] = "skip",
) -> None:
    """Create a schedule."""
    body = {
        "name": name,
        "cron": cron,
        "timezone": timezone,
        "misfire_policy": misfire_policy,
        "job": {"type": type, "payload": parse_json(payload, "--payload"), "queue": queue},
    }
    with client() as c:
        print_json(call(c.create_schedule, body))


@schedules_app.command("list")
def schedules_list(as_json: AsJson = False) -> None:
    """List schedules."""
    with client() as c:
        page = call(c.list_schedules, limit=500)
    if as_json:
        print_json(page)
        return
    table = compact_table(
        "id",
        "name",
        "cron",
        "timezone",
        "job type",
        "enabled",
        "next fire",
        whole=("id", "enabled", "next fire"),
    )
    for s in page.items:
        table.add_row(
            str(s.id), s.name, s.cron, s.timezone, s.job["type"], str(s.enabled), when(s.next_fire_at)
        )
    out.print(table)


@schedules_app.command("delete")
def schedules_delete(schedule_id: int) -> None:
    """Delete a schedule."""
    with client() as c:
        call(c.delete_schedule, schedule_id)
    out.print(f"schedule {schedule_id} deleted")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except SettingsError as exc:  # raised where a setting is first needed (the database URL)
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(2)
