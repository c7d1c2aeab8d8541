"""``conveyor seed``: a realistic installation in a few seconds — users of every role, queues
with limits, schedules, webhooks, and jobs in every state with their events and timings.

Idempotent: users, queues, schedules and webhooks are matched by name and left alone when
present; jobs carry ``seed-<n>`` idempotency keys and only the missing ones are added, so a
second run changes nothing. Bounded (at most 100,000 jobs). A production database that holds
anything is refused unless forced. The jobs are made by ``factories.jobs_in_states``: the
engine's own enqueue, their lifecycle (claims, runs, retries, deaths) replayed in SQL, and the
history back-dated over the last day so the overview's charts have something to show.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from conveyor.engine.jobs import Jobs
from conveyor.engine.models import JobSpec
from conveyor.engine.queues import Queues
from conveyor.engine.schedules import JobTemplate, Schedules, ScheduleSpec
from conveyor.factories import jobs_in_states
from conveyor.store import webhooks
from conveyor.store.database import Pool, fetch_one
from conveyor.store.queries import sql
from conveyor.store.users import ensure_user

MAX_JOBS = 100_000

USERS = (
    ("ada@example.com", "admin", "Ada Admin"),
    ("otto@example.com", "operator", "Otto Operator"),
    ("vera@example.com", "viewer", "Vera Viewer"),
)
# name → (concurrency limit, rate limit per second)
QUEUES: dict[str, tuple[int | None, float | None]] = {
    "default": (None, None),
    "emails": (10, 50.0),
    "billing": (2, None),
    "reports": (1, 0.5),
}
SCHEDULES = (
    (
        "nightly-report",
        "0 2 * * *",
        "UTC",
        JobTemplate(type="echo", queue="reports", payload={"report": "daily"}),
    ),
    ("hourly-billing-sync", "5 * * * *", "UTC", JobTemplate(type="noop", queue="billing")),
    (
        "weekday-digest",
        "0 9 * * 1-5",
        "Europe/Paris",
        JobTemplate(type="echo", queue="emails", payload={"to": "team"}),
    ),
)
WEBHOOKS = (("seed: dead jobs to the on-call bridge", "https://hooks.example.com/conveyor", ["job.dead"]),)
# The final state of the seeded jobs, as shares of the total.
STATES = (
    ("succeeded", 0.55),
    ("dead", 0.08),
    ("cancelled", 0.05),
    ("retrying", 0.08),
    ("running", 0.04),
    ("queued", 0.12),
    ("scheduled", 0.08),
)


class SeedRefused(RuntimeError):
    """Seeding would touch data it should not (a non-empty production database)."""


@dataclass
class SeedReport:
    users: int = 0
    queues: int = 0
    schedules: int = 0
    webhooks: int = 0
    jobs: dict[str, int] = field(default_factory=dict)


def plan(count: int, first: int, rng: random.Random, now: datetime) -> list[tuple[JobSpec, str]]:
    """``count`` job specs (keys ``seed-<first>`` on) with the final state each should reach."""
    weights = [share for _, share in STATES]
    states = [name for name, _ in STATES]
    jobs = []
    for n in range(first, first + count):
        state = rng.choices(states, weights)[0]
        queue = rng.choice(list(QUEUES))
        kind = rng.choice(("echo", "noop", "sleep", "http"))
        payloads: dict[str, dict[str, Any]] = {
            "echo": {"order": n},
            "noop": {},
            "sleep": {"seconds": round(rng.uniform(0.1, 2), 2)},
            "http": {"url": "https://example.com/hooks/orders", "body": {"order": n}},
        }
        payload = payloads[kind]
        if state == "scheduled":
            run_at = now + timedelta(minutes=rng.uniform(5, 24 * 60))
        else:
            run_at = now - timedelta(minutes=rng.uniform(1, 23 * 60))
        spec = JobSpec(
            type=kind,
            queue=queue,
            payload=payload,
            run_at=run_at,
            idempotency_key=f"seed-{n}",
            max_attempts=3,
        )
        jobs.append((spec, state))
    return jobs


async def seed(
    pool: Pool,
    jobs: Jobs,
    schedules: Schedules,
    *,
    count: int,
    production: bool,
    force: bool = False,
    progress: Callable[[int], None] = lambda _: None,
) -> SeedReport:
    """Seed the database; ``progress`` is told how many jobs each step added."""
    if not 0 <= count <= MAX_JOBS:
        raise ValueError(f"--jobs must be between 0 and {MAX_JOBS:,}, not {count:,}")
    before = await fetch_one(pool, sql("seed_state_of_database"))
    assert before is not None
    if production and (before["jobs"] or before["users"]) and not force:
        raise SeedRefused(
            f"the production database is not empty ({before['jobs']:,} jobs, {before['users']:,} users): "
            "seeding would mix made-up data with real data; pass --force if that is what you want"
        )
    report = SeedReport()
    owners = [await ensure_user(pool, email, role, name=name) for email, role, name in USERS]  # type: ignore[arg-type]
    report.users = len(owners)
    queues = Queues(pool, notify=jobs.defaults.notify)
    for name, (concurrency, rate) in QUEUES.items():
        await queues.update(
            name, concurrency_limit=concurrency, set_limit=True, rate_limit=rate, set_rate=True
        )
    report.queues = len(QUEUES)
    for name, cron, timezone, template in SCHEDULES:
        found = await fetch_one(pool, sql("seed_schedule_exists"), name=name)
        if not (found and found["exists"]):
            await schedules.create(ScheduleSpec(name=name, cron=cron, timezone=timezone, job=template))
        report.schedules += 1

    missing = max(0, count - before["seeded_jobs"])
    # Made-up data, repeatable from the count already seeded; nothing secret depends on it.
    rng = random.Random(before["seeded_jobs"])  # noqa: S311  # nosec B311
    planned = plan(missing, before["seeded_jobs"], rng, datetime.now(UTC))
    made = await jobs_in_states(
        jobs,
        [spec for spec, _ in planned],
        [state for _, state in planned],
        created_by=owners[1]["id"],
        backdate=True,
        progress=progress,
    )
    report.jobs = {state: len(ids) for state, ids in made.items()}

    # Last: a webhook made earlier would be sent the seeded jobs' deaths.
    for description, url, events in WEBHOOKS:
        found = await fetch_one(pool, sql("seed_webhook_exists"), description=description)
        if not (found and found["exists"]):
            await webhooks.create(
                pool,
                url=url,
                events=events,
                description=description,
                enabled=True,
                created_by=owners[0]["id"],
            )
        report.webhooks += 1
    return report
