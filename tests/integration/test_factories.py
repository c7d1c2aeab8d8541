"""The factories `conveyor seed`, the tests and the benchmarks make their data with: the rows the
benchmarks' numbers depend on, jobs walked to the states asked for, keys that work, and bad
input refused before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from conveyor.engine.jobs import JobRejected, Jobs
from conveyor.engine.models import JobSpec
from conveyor.factories import BATCH, blocking, finished_history, jobs_in_states, user_with_key
from conveyor.store.api_keys import authenticate
from conveyor.store.database import Pool


def rows(database_url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(query).fetchall()


async def test_finished_history_is_the_rows_the_benchmarks_read(jobs: Jobs, database_url: str) -> None:
    await finished_history(jobs.pool, 3, numbered=True)
    await finished_history(jobs.pool, 2)
    # api_load reads ids 1..n and tells them apart by payload; retention only needs the volume.
    assert rows(
        database_url,
        "SELECT id, payload, state, attempts, finished_at < now() - interval '59 minutes'"
        " FROM conveyor.jobs ORDER BY id",
    ) == [
        (1, {"order": 1}, "succeeded", 1, True),
        (2, {"order": 2}, "succeeded", 1, True),
        (3, {"order": 3}, "succeeded", 1, True),
        (4, {}, "succeeded", 1, True),
        (5, {}, "succeeded", 1, True),
    ]
    assert rows(database_url, "SELECT count(*) FROM conveyor.job_events") == [(5,)]


async def test_jobs_are_walked_to_the_states_asked_for(jobs: Jobs, database_url: str) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    specs = [JobSpec(type="noop"), JobSpec(type="noop", run_at=later), JobSpec(type="noop")]
    assert await jobs_in_states(jobs, specs) == {"queued": [1, 3], "scheduled": [2]}
    http = JobSpec(type="http", payload={"url": "https://example.com"})
    made = await jobs_in_states(jobs, [http] * 3, ["dead", "succeeded", "retrying"])
    assert made == {"dead": [4], "succeeded": [5], "retrying": [6]}
    assert rows(
        database_url,
        "SELECT id, state, attempts, finished_at IS NOT NULL, last_error->>'kind'"
        " FROM conveyor.jobs WHERE id > 3 ORDER BY id",
    ) == [
        (4, "dead", 1, True, "http_status"),
        (5, "succeeded", 1, True, None),
        (6, "retrying", 1, False, "http_status"),
    ]
    trail = rows(
        database_url, "SELECT array_agg(to_state ORDER BY id) FROM conveyor.job_events WHERE job_id = 4"
    )
    assert trail == [(["queued", "running", "dead"],)]  # the trail a worker leaves


@pytest.mark.parametrize(
    ("states", "message"),
    [(["succeeded"], "2 jobs but 1 states"), (["succeeded", "finished"], "no such job state: finished")],
)
async def test_bad_states_are_refused_before_anything_is_written(
    jobs: Jobs, database_url: str, states: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await jobs_in_states(jobs, [JobSpec(type="noop")] * 2, states)
    assert rows(database_url, "SELECT count(*) FROM conveyor.jobs") == [(0,)]


async def test_a_job_refused_in_a_later_batch_leaves_nothing_written(jobs: Jobs, database_url: str) -> None:
    specs = [JobSpec(type="noop")] * BATCH + [JobSpec(type="no-such-type")]
    with pytest.raises(JobRejected, match="no-such-type"):
        await jobs_in_states(jobs, specs, ["succeeded"] * len(specs))
    assert rows(database_url, "SELECT count(*) FROM conveyor.jobs") == [(0,)]


async def test_each_call_issues_another_working_key_for_the_same_user(pool: Pool, clean_db: str) -> None:
    first, key = await user_with_key(pool, "ops@example.com", "operator", "ci")
    again, other = await user_with_key(pool, "ops@example.com", "admin", "laptop", name="Ignored")
    assert again["id"] == first["id"] and again["role"] == "operator" and key != other
    for secret in (key, other):
        principal = await authenticate(pool, secret)
        assert principal is not None and principal.user_id == first["id"]


def test_code_that_cannot_await_runs_a_factory_with_blocking(clean_db: str) -> None:
    made = blocking(clean_db, lambda engine: jobs_in_states(engine, [JobSpec(type="noop")]))
    assert made == {"queued": [1]}
