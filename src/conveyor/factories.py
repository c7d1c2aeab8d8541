"""Factories: the one way ``conveyor seed``, the tests and the benchmarks make users, API keys
and jobs.

- ``user_with_key``: a user (created if missing) and a fresh API key for it.
- ``jobs_in_states``: jobs through the engine's own enqueue — the rows the API writes — in
  batches, then walked to the states asked for by the statements a worker's transitions amount
  to (``walk_to_states``), optionally with their history back-dated to when it would have happened.
- ``finished_history``: volume — finished no-op jobs in one ``INSERT ... SELECT generate_series``,
  vacuumed and analysed, as a long-running installation keeps them.

Their SQL is in ``store/sql/seed.sql``. Code that cannot await (sync tests, scripts, the benchmark
drivers) runs a factory with ``blocking``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from psycopg_pool import AsyncConnectionPool

from conveyor.engine.jobs import EngineDefaults, Jobs
from conveyor.engine.models import JobSpec
from conveyor.handlers import discover
from conveyor.settings import load_settings
from conveyor.store.api_keys import create_api_key
from conveyor.store.database import Database, Pool, execute, open_pool
from conveyor.store.queries import sql
from conveyor.store.users import Role, ensure_user

T = TypeVar("T")

BATCH = 1_000
# Where a worker takes a job; queued and scheduled jobs stay as enqueued (their run_at decides).
WORKED = ("running", "succeeded", "dead", "cancelled", "retrying")
ENQUEUED = ("queued", "scheduled")


async def user_with_key(
    pool: Pool, email: str, role: Role, key_name: str, *, name: str | None = None, password: str | None = None
) -> tuple[dict[str, Any], str]:
    """The user with this email (created with ``role``, ``name`` and ``password`` if missing) and
    the secret of a new API key named ``key_name`` for it."""
    user = await ensure_user(pool, email, role, name, password=password)
    _, secret = await create_api_key(pool, user["id"], key_name)
    return user, secret


async def jobs_in_states(
    jobs: Jobs,
    specs: Sequence[JobSpec],
    states: Sequence[str] | None = None,
    *,
    created_by: int | None = None,
    backdate: bool = False,
    progress: Callable[[int], None] = lambda _: None,
) -> dict[str, list[int]]:
    """Enqueue ``specs`` (in batches of 1,000, all in one transaction: a job refused anywhere
    leaves nothing written) and walk each job to its state in ``states`` (default: left as
    enqueued). ``backdate`` moves each job's creation to its
    ``run_at`` and its events to when their transitions would have happened, so charts over the
    last day have a history to show. Returns the ids by final state; ``progress`` is told how many
    jobs each batch added."""
    if states is not None:
        if len(states) != len(specs):
            raise ValueError(f"{len(specs)} jobs but {len(states)} states")
        if unknown := sorted(set(states) - {*WORKED, *ENQUEUED}):
            raise ValueError(
                f"no such job state: {', '.join(unknown)} (one of {', '.join(ENQUEUED + WORKED)})"
            )
    ids: dict[str, list[int]] = {}
    async with jobs.pool.connection() as conn, conn.transaction():
        for start in range(0, len(specs), BATCH):
            created = await jobs.enqueue(specs[start : start + BATCH], created_by=created_by, conn=conn)
            wanted = (
                states[start : start + BATCH] if states is not None else [str(j.state) for j, _ in created]
            )
            by_state: dict[str, list[int]] = {}
            for (job, _), state in zip(created, wanted, strict=True):
                by_state.setdefault(state, []).append(job.id)
            if states is not None or backdate:
                await walk_to_states(conn, by_state, backdate=backdate)
            for state, chunk in by_state.items():
                ids.setdefault(state, []).extend(chunk)
            progress(len(created))
    return ids


async def walk_to_states(db: Database, by_state: dict[str, list[int]], *, backdate: bool = False) -> None:
    """Take queued jobs to the states they are listed under, the way workers would have: claimed
    (one attempt, started after a short wait), then finished after a plausible run time — dead on a
    permanent refusal, retrying after a transient one — all or nothing."""
    if isinstance(db, AsyncConnectionPool):
        async with db.connection() as conn:
            await walk_to_states(conn, by_state, backdate=backdate)
        return
    ran = [i for state, ids in by_state.items() if state in WORKED for i in ids]
    async with db.transaction():
        if ran:
            await execute(db, sql("seed_start"), ids=ran, max_wait_seconds=3.0)
        for state in WORKED[1:]:
            if ids := by_state.get(state):
                await execute(db, sql("seed_finish"), ids=ids, state=state, max_run_seconds=4.0)
        if backdate:
            everything = [i for ids in by_state.values() for i in ids]
            await execute(db, sql("seed_backdate"), ids=everything)


async def finished_history(pool: Pool, rows: int, *, numbered: bool = False) -> None:
    """``rows`` succeeded no-op jobs (and their events) that finished an hour ago, in one
    statement, then ``VACUUM ANALYZE`` so no autovacuum arrives later to disturb a measurement.
    ``numbered`` gives each a payload ``{"order": n}`` (reads can tell them apart); else ``{}``."""
    if rows < 0:
        raise ValueError(f"rows must be 0 or more, not {rows:,}")
    await execute(pool, sql("seed_finished_history"), rows=rows, numbered=numbered)
    await execute(pool, sql("seed_vacuum_history"))


def blocking(url: str, factory: Callable[[Jobs], Awaitable[T]]) -> T:
    """Run ``factory`` from code that cannot await: it gets the engine (``.pool`` for the
    factories that take a pool) on a one-connection pool to ``url``, with the default settings,
    for this call only."""

    async def run() -> T:
        pool = await open_pool(url, size=1, name="conveyor-factory")
        try:
            await pool.wait()
            return await factory(Jobs(pool, discover(), EngineDefaults.from_settings(load_settings())))
        finally:
            await pool.close()

    return asyncio.run(run())
