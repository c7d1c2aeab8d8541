"""Cron schedules: create/list/delete, and firing them exactly once per fire time.

Any number of scheduler replicas call ``fire_due(now)`` concurrently. Within one transaction
a replica locks the due schedules no other replica holds (SKIP LOCKED), enqueues one job per
fire time, and moves ``next_fire_at`` past ``now``. The job carries (schedule_id, fire time)
under a unique index, so even a replica working from a stale view cannot enqueue a fire time
twice. ``now`` is a parameter so tests drive the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import psycopg
import structlog
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from conveyor.engine.cron import Cadence, CadenceError, parse_cadence
from conveyor.engine.jobs import JobRejected, Jobs, ScheduleFire
from conveyor.engine.models import Job, JobSpec
from conveyor.engine.queries import sql
from conveyor.inputs import InputModel
from conveyor.quota import QuotaExceeded
from conveyor.store.database import Connection, execute, fetch_all, fetch_one
from conveyor.telemetry import metrics

log = structlog.get_logger("conveyor.schedules")


class JobTemplate(JobSpec):
    """A schedule's job: like a submitted job, minus what each fire decides."""

    run_at: None = Field(default=None, exclude=True)
    idempotency_key: None = Field(default=None, exclude=True)


class ScheduleSpec(InputModel):
    name: str = Field(min_length=1, max_length=200, examples=["nightly-report"])
    cron: str = Field(
        description="5-field cron, or '@every <duration>' such as '@every 30s'.",
        examples=["*/5 * * * *", "@every 30s"],
    )
    timezone: str = Field(default="UTC", examples=["Europe/Paris"])
    job: JobTemplate
    enabled: bool = True
    misfire_policy: Literal["skip", "catch_up"] = Field(
        default="skip",
        description="Fire times missed by more than the grace period: skip "
        "them, or enqueue up to max_catch_up of the most recent.",
    )
    max_catch_up: int = Field(default=1, ge=1, le=1000)


class Schedule(BaseModel):
    id: int
    name: str
    cron: str
    timezone: str
    job: dict[str, Any]
    enabled: bool
    misfire_policy: str
    max_catch_up: int
    next_fire_at: datetime | None
    last_fire_at: datetime | None
    created_at: datetime


class ScheduleRejected(ValueError):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


class Schedules:
    def __init__(self, jobs: Jobs, *, misfire_grace: float = 60.0, max_per_user: int | None = None) -> None:
        self.jobs = jobs
        self.pool = jobs.pool
        self.misfire_grace = timedelta(seconds=misfire_grace)
        self.max_per_user = max_per_user

    def _validated(self, spec: ScheduleSpec) -> Cadence:
        """The spec's cadence, once its cadence and job template are known to be usable."""
        try:
            cadence = parse_cadence(spec.cron, spec.timezone)
        except CadenceError as exc:
            raise ScheduleRejected([{"field": exc.field, "message": str(exc)}]) from None
        try:
            self.jobs.check(spec.job, prefix="job.")
        except JobRejected as exc:
            raise ScheduleRejected(exc.errors) from None
        return cadence

    async def create(
        self, spec: ScheduleSpec, *, created_by: int | None = None, now: datetime | None = None
    ) -> Schedule:
        cadence = self._validated(spec)
        params = {
            **spec.model_dump(exclude={"job"}),
            "job": Jsonb(spec.job.model_dump(exclude_none=True, mode="json")),
            "next_fire_at": cadence.next_after(now or datetime.now(UTC)),
            "created_by": created_by,
        }
        async with self.pool.connection() as conn, conn.transaction():
            if created_by is not None and self.max_per_user is not None:
                await self._check_quota(conn, created_by)
            row = await fetch_one(conn, sql("insert_schedule"), **params)
        if row is None:
            raise ScheduleRejected([{"field": "name", "message": f"a schedule named {spec.name!r} exists"}])
        return Schedule.model_validate(row)

    async def _check_quota(self, conn: Connection, user_id: int) -> None:
        assert self.max_per_user is not None
        await execute(conn, sql("lock_user_for_schedules"), user_id=user_id)
        row = await fetch_one(conn, sql("count_user_schedules"), user_id=user_id)
        if row is not None and row["schedules"] >= self.max_per_user:
            raise QuotaExceeded("schedules", self.max_per_user, "CONVEYOR_MAX_SCHEDULES_PER_USER")

    async def update(
        self, schedule_id: int, changes: dict[str, Any], *, now: datetime | None = None
    ) -> Schedule | None:
        """Apply ``changes`` (fields of ScheduleSpec); the next fire time is recomputed when the
        cadence changes or the schedule is re-enabled. None if the schedule does not exist."""
        current = await self.get(schedule_id)
        if current is None:
            return None
        spec = ScheduleSpec.model_validate(
            {**current.model_dump(include=set(ScheduleSpec.model_fields)), **changes}
        )
        cadence = self._validated(spec)
        recompute = (spec.cron, spec.timezone) != (current.cron, current.timezone) or (
            spec.enabled and not current.enabled
        )
        next_fire = cadence.next_after(now or datetime.now(UTC)) if recompute else current.next_fire_at
        params = {
            **spec.model_dump(exclude={"job"}),
            "id": schedule_id,
            "next_fire_at": next_fire,
            "job": Jsonb(spec.job.model_dump(exclude_none=True, mode="json")),
        }
        async with self.pool.connection() as conn:
            try:
                row = await fetch_one(conn, sql("update_schedule"), **params)
            except psycopg.errors.UniqueViolation:
                raise ScheduleRejected(
                    [{"field": "name", "message": f"a schedule named {spec.name!r} exists"}]
                ) from None
        return Schedule.model_validate(row) if row else None

    async def trigger(self, schedule_id: int, *, created_by: int | None = None) -> Job | None:
        """Enqueue the schedule's job now, outside its cadence (the cadence is unchanged)."""
        current = await self.get(schedule_id)
        if current is None:
            return None
        spec = JobSpec.model_validate(current.job)
        [(job, _)] = await self.jobs.enqueue([spec], created_by=created_by)
        return job

    async def get(self, schedule_id: int) -> Schedule | None:
        row = await fetch_one(self.pool, sql("get_schedule"), id=schedule_id)
        return Schedule.model_validate(row) if row else None

    async def page(self, *, after_id: int | None = None, limit: int = 50) -> list[Schedule]:
        rows = await fetch_all(self.pool, sql("list_schedules"), after_id=after_id, limit=limit)
        return [Schedule.model_validate(r) for r in rows]

    async def delete(self, schedule_id: int) -> bool:
        row = await fetch_one(self.pool, sql("delete_schedule"), id=schedule_id)
        return row is not None

    def _fire_times(self, row: dict[str, Any], now: datetime) -> tuple[list[datetime], datetime, int]:
        """(fire times to enqueue, the next fire time after now, how many were skipped)."""
        cadence = parse_cadence(row["cron"], row["timezone"])
        due: list[datetime] = []
        moment: datetime = row["next_fire_at"]
        while moment <= now:
            due.append(moment)
            moment = cadence.next_after(moment)
            if len(due) > 100_000:  # a cadence far behind: jump ahead instead of walking
                moment = cadence.next_after(now)
                break
        on_time = [t for t in due if now - t <= self.misfire_grace]
        missed = [t for t in due if now - t > self.misfire_grace]
        keep = missed[-row["max_catch_up"] :] if row["misfire_policy"] == "catch_up" else []
        return keep + on_time, moment, len(missed) - len(keep)

    async def fire_due(self, now: datetime | None = None, *, limit: int = 100) -> int:
        """Enqueue every due fire time of every due schedule; return how many jobs."""
        now = now or datetime.now(UTC)
        fired = 0
        async with self.pool.connection() as conn, conn.transaction():
            rows = await fetch_all(conn, sql("lock_due_schedules"), now=now, limit=limit)
            specs: list[JobSpec] = []
            fires: list[ScheduleFire | None] = []
            for row in rows:
                try:
                    times, next_fire, skipped = self._fire_times(row, now)
                    template = JobSpec.model_validate(row["job"])
                    self.jobs.check(template)
                except (CadenceError, ValueError) as exc:
                    # A schedule that can no longer produce a valid job: skip, keep the rest.
                    log.error("schedule_invalid", schedule_id=row["id"], error=str(exc))
                    times, skipped = [], 1
                    next_fire = (
                        parse_cadence(row["cron"], row["timezone"]).next_after(now)
                        if _cadence_ok(row)
                        else now + timedelta(days=3650)
                    )
                    template = None
                if skipped:
                    metrics.schedule_fires.labels("skipped").inc(skipped)
                    log.warning("schedule_misfires_skipped", schedule_id=row["id"], count=skipped)
                for fire_time in times:
                    assert template is not None
                    specs.append(template.model_copy(update={"run_at": fire_time}))
                    fires.append(ScheduleFire(row["id"], fire_time))
                    metrics.schedule_lag.observe(max(0.0, (now - fire_time).total_seconds()))
                await execute(
                    conn,
                    sql("advance_schedule"),
                    id=row["id"],
                    next_fire_at=next_fire,
                    last_fire_at=times[-1] if times else None,
                )
            if specs:
                results = await self.jobs.enqueue(specs, fires=fires, conn=conn)
                fired = sum(1 for _, created in results if created)
                metrics.schedule_fires.labels("enqueued").inc(fired)
        return fired


def _cadence_ok(row: dict[str, Any]) -> bool:
    try:
        parse_cadence(row["cron"], row["timezone"])
    except CadenceError:
        return False
    return True
