"""/api/v1/schedules: cron schedules that enqueue a job template."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request, Response

from conveyor.api import API_PREFIX
from conveyor.api.conditional import conditional
from conveyor.api.deps import CanReadSchedules, CanWriteSchedules, SchedulesDep, SettingsDep
from conveyor.api.destinations import refuse_private_http_targets
from conveyor.api.idempotency import Replay, idempotent
from conveyor.api.models.schedules import CadencePreview, Preview, ScheduleUpdate
from conveyor.api.pagination import Page, PageQueryDep
from conveyor.api.params import IdPath
from conveyor.api.problems import IDEMPOTENT_RESPONSES, PROBLEM_RESPONSES, Problem
from conveyor.api.redaction import PayloadViewDep
from conveyor.engine.cron import parse_cadence
from conveyor.engine.models import Job
from conveyor.engine.schedules import Schedule, ScheduleSpec
from conveyor.store.users import Principal

router = APIRouter(prefix=API_PREFIX, tags=["schedules"], responses=PROBLEM_RESPONSES)
T = TypeVar("T")


async def _current_schedule(request: Request, _: Principal, schedule_id: int) -> Schedule | None:
    schedule: Schedule | None = await request.app.state.schedules.get(schedule_id)
    return schedule


async def _current_job(request: Request, _: Principal, job_id: int) -> Job | None:
    job: Job | None = await request.app.state.jobs.get(job_id)
    return job


@router.post("/schedules", status_code=201, response_model=Schedule, responses=IDEMPOTENT_RESPONSES)
async def create_schedule(
    spec: ScheduleSpec,
    schedules: SchedulesDep,
    principal: CanWriteSchedules,
    settings: SettingsDep,
    _idempotent: Annotated[None, idempotent(Replay("schedule", _current_schedule))],
) -> Schedule:
    refuse_private_http_targets([("job.", spec.job)], settings)
    return await schedules.create(spec, created_by=principal.user_id)


@router.get("/schedules", response_model=Page[Schedule])
async def list_schedules(
    schedules: SchedulesDep,
    _: CanReadSchedules,
    view: PayloadViewDep,
    page: PageQueryDep,
) -> Page[Schedule]:
    items = await schedules.page(after_id=page.last_id, limit=page.limit)
    return Page[Schedule](
        items=[view.schedule(s) for s in items],
        next_cursor=page.next_cursor(items),
    )


@router.get(
    "/schedules/{schedule_id}",
    response_model=Schedule,
    responses={304: {"description": "Not Modified (If-None-Match)"}},
)
async def get_schedule(
    request: Request, schedule_id: IdPath, schedules: SchedulesDep, _: CanReadSchedules, view: PayloadViewDep
) -> Response:
    schedule = view.schedule(_found(await schedules.get(schedule_id), schedule_id))
    return conditional(request, schedule)


def _found(found: T | None, schedule_id: int) -> T:
    """What was asked of schedule ``schedule_id`` (itself, or the job it enqueued); 404 when
    there is no such schedule."""
    if found is None:
        raise Problem(404, f"schedule {schedule_id} does not exist", slug="not-found")
    return found


@router.patch("/schedules/{schedule_id}", response_model=Schedule)
async def update_schedule(
    schedule_id: IdPath,
    update: ScheduleUpdate,
    schedules: SchedulesDep,
    _: CanWriteSchedules,
    settings: SettingsDep,
) -> Schedule:
    if update.job is not None:
        refuse_private_http_targets([("job.", update.job)], settings)
    changes = update.model_dump(exclude_unset=True)
    if nulls := [field for field, value in changes.items() if value is None]:
        errors = [{"field": field, "message": "cannot be null"} for field in nulls]
        raise Problem(422, f"{', '.join(nulls)}: cannot be null", slug="validation", errors=errors)
    return _found(await schedules.update(schedule_id, changes), schedule_id)


@router.post("/schedules/{schedule_id}/pause", response_model=Schedule)
async def pause_schedule(schedule_id: IdPath, schedules: SchedulesDep, _: CanWriteSchedules) -> Schedule:
    return _found(await schedules.update(schedule_id, {"enabled": False}), schedule_id)


@router.post("/schedules/{schedule_id}/resume", response_model=Schedule)
async def resume_schedule(schedule_id: IdPath, schedules: SchedulesDep, _: CanWriteSchedules) -> Schedule:
    return _found(await schedules.update(schedule_id, {"enabled": True}), schedule_id)


@router.post(
    "/schedules/{schedule_id}/trigger", status_code=201, response_model=Job, responses=IDEMPOTENT_RESPONSES
)
async def trigger_schedule(
    schedule_id: IdPath,
    schedules: SchedulesDep,
    principal: CanWriteSchedules,
    _idempotent: Annotated[None, idempotent(Replay("job", _current_job))],
) -> Job:
    return _found(await schedules.trigger(schedule_id, created_by=principal.user_id), schedule_id)


@router.get("/schedules/{schedule_id}/preview", response_model=Preview)
async def preview_schedule(
    schedule_id: IdPath,
    schedules: SchedulesDep,
    _: CanReadSchedules,
    count: Annotated[int, Query(ge=1, le=100)] = 5,
) -> Preview:
    schedule = _found(await schedules.get(schedule_id), schedule_id)
    cadence = parse_cadence(schedule.cron, schedule.timezone)
    return Preview(next_fire_times=cadence.preview(datetime.now(UTC), count))


@router.post("/schedules/preview", response_model=Preview)
async def preview_cadence(body: CadencePreview, _: CanReadSchedules) -> Preview:
    """Next fire times of a cadence before creating it (the console's cron helper uses this);
    a cadence that cannot be used is a 422 naming `cron` or `timezone` and saying why."""
    cadence = parse_cadence(body.cron, body.timezone)
    return Preview(next_fire_times=cadence.preview(datetime.now(UTC), body.count))


@router.delete("/schedules/{schedule_id}", status_code=204)
async def delete_schedule(schedule_id: IdPath, schedules: SchedulesDep, _: CanWriteSchedules) -> Response:
    if not await schedules.delete(schedule_id):
        raise Problem(404, f"schedule {schedule_id} does not exist", slug="not-found")
    return Response(status_code=204)
