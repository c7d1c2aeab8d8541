"""Cron schedules: exactly once per fire time across replicas, misfire policies, validation."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from conveyor.engine.cron import parse_cadence
from conveyor.engine.jobs import Jobs
from conveyor.engine.schedules import JobTemplate, ScheduleRejected, Schedules, ScheduleSpec
from tests.integration import scheduler_replica

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def spec(name: str, cron: str, **extra: object) -> ScheduleSpec:
    return ScheduleSpec(name=name, cron=cron, job=JobTemplate(type="noop"), **extra)  # type: ignore[arg-type]


def fire_times(database_url: str, schedule_id: int) -> list[datetime]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT scheduled_for FROM conveyor.jobs WHERE schedule_id = %s ORDER BY scheduled_for",
            [schedule_id],
        ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("route", ["direct", "pgbouncer"])
async def test_three_replicas_fire_each_time_exactly_once(
    schedules: Schedules, database_url: str, route: str, request: pytest.FixtureRequest
) -> None:
    # Through PgBouncer (transaction pooling) the replicas share server connections between
    # transactions: exactly-once must not rest on session state.
    replica_url = database_url if route == "direct" else request.getfixturevalue("pgbouncer_url")
    minutely = await schedules.create(spec("minutely", "* * * * *"), now=T0)
    every = await schedules.create(spec("every-7s", "@every 7s"), now=T0)
    paris = await schedules.create(spec("paris-hourly", "30 * * * *", timezone="Europe/Paris"), now=T0)
    horizon = T0 + timedelta(hours=3)
    clock = [T0 + timedelta(seconds=s) for s in range(0, 3 * 3600 + 1, 10)]

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        counts = pool.starmap(
            scheduler_replica.run, [(replica_url, clock, seed, route == "direct") for seed in range(3)]
        )

    for schedule in (minutely, every, paris):
        cadence = parse_cadence(schedule.cron, schedule.timezone)
        expected = [t for t in cadence.preview(T0, 2000) if t <= horizon]
        assert fire_times(database_url, schedule.id) == expected, schedule.name
    assert sum(counts) == 180 + (3 * 3600 // 7) + 3


async def test_misfires_are_skipped_by_default(schedules: Schedules, database_url: str) -> None:
    s = await schedules.create(spec("skip", "* * * * *"), now=T0)
    # The scheduler was down for 10 minutes: only the fire time within the grace period runs.
    await schedules.fire_due(T0 + timedelta(minutes=10, seconds=5))
    assert fire_times(database_url, s.id) == [T0 + timedelta(minutes=10)]
    current = await schedules.get(s.id)
    assert current and current.next_fire_at == T0 + timedelta(minutes=11)


async def test_catch_up_enqueues_at_most_n_missed(schedules: Schedules, database_url: str) -> None:
    s = await schedules.create(spec("catch", "* * * * *", misfire_policy="catch_up", max_catch_up=3), now=T0)
    await schedules.fire_due(T0 + timedelta(minutes=10, seconds=5))
    assert fire_times(database_url, s.id) == [T0 + timedelta(minutes=m) for m in (7, 8, 9, 10)]


async def test_disabled_schedule_never_fires(schedules: Schedules, database_url: str) -> None:
    s = await schedules.create(spec("off", "@every 1s", enabled=False), now=T0)
    assert await schedules.fire_due(T0 + timedelta(minutes=1)) == 0
    assert fire_times(database_url, s.id) == []


async def test_fired_job_uses_the_template(schedules: Schedules, jobs: Jobs) -> None:
    template = JobTemplate(type="echo", payload={"report": "daily"}, queue="reports", priority=7)
    s = await schedules.create(ScheduleSpec(name="t", cron="@every 1m", job=template), now=T0)
    await schedules.fire_due(T0 + timedelta(minutes=1))
    [job] = await jobs.page()
    assert (job.type, job.payload, job.queue, job.priority) == ("echo", {"report": "daily"}, "reports", 7)
    assert job.schedule_id == s.id and job.run_at == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("cron", "timezone", "field", "message"),
    [
        ("* * * *", "UTC", "cron", "cron needs 5 fields"),
        ("61 * * * *", "UTC", "cron", "not a valid cron expression"),
        ("@every soon", "UTC", "cron", "is not a duration"),
        ("@every 0s", "UTC", "cron", "at least 1s"),
        ("* * * * *", "Mars/Olympus", "timezone", "unknown time zone"),
    ],
)
async def test_bad_cadence_is_refused_naming_the_field(
    schedules: Schedules, cron: str, timezone: str, field: str, message: str
) -> None:
    with pytest.raises(ScheduleRejected) as raised:
        await schedules.create(spec("bad", cron, timezone=timezone))
    assert raised.value.errors[0]["field"] == field
    assert message in raised.value.errors[0]["message"]
    assert await schedules.page() == []


async def test_bad_job_template_and_duplicate_name_are_refused(schedules: Schedules) -> None:
    with pytest.raises(ScheduleRejected) as raised:
        await schedules.create(ScheduleSpec(name="x", cron="@every 1m", job=JobTemplate(type="nope")))
    assert raised.value.errors[0]["field"] == "job.type"
    await schedules.create(spec("dup", "@every 1m"))
    with pytest.raises(ScheduleRejected, match="exists"):
        await schedules.create(spec("dup", "@every 1m"))
