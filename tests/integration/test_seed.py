"""`conveyor seed`: a realistic installation — every role, limited queues, schedules, a webhook
and jobs in every state with a consistent, back-dated history — idempotent, bounded, and
refused on a production database that holds data."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from conveyor.engine.jobs import Jobs
from conveyor.engine.schedules import Schedules
from conveyor.seed import MAX_JOBS, STATES, SeedRefused, seed
from conveyor.store.database import Pool
from tests.support import REPO, process_env


def counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("""
            SELECT (SELECT count(*) FROM conveyor.users) AS users,
                   (SELECT count(*) FROM conveyor.schedules) AS schedules,
                   (SELECT count(*) FROM conveyor.webhook_endpoints) AS webhooks,
                   (SELECT count(*) FROM conveyor.jobs) AS jobs,
                   (SELECT count(*) FROM conveyor.job_events) AS events""").fetchone()
    assert row is not None
    return dict(zip(("users", "schedules", "webhooks", "jobs", "events"), row, strict=True))


async def test_seeding_makes_every_state_with_a_consistent_history(
    pool: Pool, jobs: Jobs, schedules: Schedules, database_url: str
) -> None:
    report = await seed(pool, jobs, schedules, count=1000, production=False)
    assert set(report.jobs) == {state for state, _ in STATES} and sum(report.jobs.values()) == 1000
    with psycopg.connect(database_url) as conn:
        states: dict[str, int] = dict(
            conn.execute("SELECT state, count(*) FROM conveyor.jobs GROUP BY state").fetchall()
        )
        roles = {r for (r,) in conn.execute("SELECT role FROM conveyor.users").fetchall()}
        limited = conn.execute(
            "SELECT count(*) FROM conveyor.queues WHERE concurrency_limit IS NOT NULL"
        ).fetchone()
        finished = conn.execute("""
            SELECT j.id, j.state, j.created_at, j.started_at, j.finished_at,
                   array_agg(e.to_state ORDER BY e.id), array_agg(e.at ORDER BY e.id),
                   max(e.wait_seconds), max(e.run_seconds)
            FROM conveyor.jobs j JOIN conveyor.job_events e ON e.job_id = j.id
            WHERE j.state IN ('succeeded', 'dead', 'cancelled')
            GROUP BY j.id""").fetchall()
    assert states == report.jobs
    assert roles == {"admin", "operator", "viewer"} and limited and limited[0] >= 2
    now = datetime.now(UTC)
    for _, state, created, started, ended, path, moments, waited, ran in finished:
        assert path == ["queued", "running", state]  # the trail a worker leaves
        assert created <= started <= ended <= now and now - created < timedelta(days=1)
        assert moments == [created, started, ended]  # events back-dated to when they happened
        assert waited > 0 and ran > 0


async def test_seeding_again_changes_nothing(
    pool: Pool, jobs: Jobs, schedules: Schedules, database_url: str
) -> None:
    await seed(pool, jobs, schedules, count=200, production=False)
    first = counts(database_url)
    again = await seed(pool, jobs, schedules, count=200, production=False)
    assert again.jobs == {} and counts(database_url) == first
    more = await seed(pool, jobs, schedules, count=250, production=False)
    assert sum(more.jobs.values()) == 50  # only the missing ones


async def test_a_non_empty_production_database_is_refused_unless_forced(
    pool: Pool, jobs: Jobs, schedules: Schedules, database_url: str
) -> None:
    await seed(pool, jobs, schedules, count=10, production=False)
    before = counts(database_url)
    with pytest.raises(SeedRefused, match=r"production database is not empty.*--force"):
        await seed(pool, jobs, schedules, count=20, production=True)
    assert counts(database_url) == before  # nothing half-written
    forced = await seed(pool, jobs, schedules, count=20, production=True, force=True)
    assert sum(forced.jobs.values()) == 10


async def test_the_size_is_bounded(pool: Pool, jobs: Jobs, schedules: Schedules) -> None:
    with pytest.raises(ValueError, match="between 0 and 100,000"):
        await seed(pool, jobs, schedules, count=MAX_JOBS + 1, production=False)


def test_the_cli_refuses_production_data_naming_the_flag(clean_db: str) -> None:
    env = process_env(clean_db, CONVEYOR_ENV="production")
    run = [sys.executable, "-m", "conveyor", "seed", "--jobs", "5"]
    first = subprocess.run(
        run, env={**env, "CONVEYOR_ENV": "test"}, capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert first.returncode == 0, first.stderr
    refused = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert refused.returncode == 2 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    too_many = subprocess.run(
        [*run[:-1], "200000"], env=env, capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert too_many.returncode == 2 and "--jobs must be between 0 and 100,000" in too_many.stderr
