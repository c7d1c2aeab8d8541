"""/api/v1/schedules: cron schedules that enqueue a job template."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from conveyor.api import API_PREFIX
from conveyor.api.deps import CanReadSchedules, CanWriteSchedules, SchedulesDep
from conveyor.api.pagination import Page, decode_cursor, encode_cursor
from conveyor.api.problems import Problem
from conveyor.engine.schedules import Schedule, ScheduleSpec

router = APIRouter(prefix=API_PREFIX, tags=["schedules"])


@router.post("/schedules", status_code=201, response_model=Schedule)
async def create_schedule(
    spec: ScheduleSpec, schedules: SchedulesDep, principal: CanWriteSchedules
) -> Schedule:
    return await schedules.create(spec, created_by=principal.user_id)


@router.get("/schedules", response_model=Page[Schedule])
async def list_schedules(
    schedules: SchedulesDep,
    _: CanReadSchedules,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Page[Schedule]:
    items = await schedules.page(after_id=decode_cursor(cursor), limit=limit)
    return Page[Schedule](
        items=items, next_cursor=encode_cursor(items[-1].id) if len(items) == limit else None
    )


@router.get("/schedules/{schedule_id}", response_model=Schedule)
async def get_schedule(schedule_id: int, schedules: SchedulesDep, _: CanReadSchedules) -> Schedule:
    schedule = await schedules.get(schedule_id)
    if schedule is None:
        raise Problem(404, f"schedule {schedule_id} does not exist", slug="not-found")
    return schedule


@router.delete("/schedules/{schedule_id}", status_code=204)
async def delete_schedule(schedule_id: int, schedules: SchedulesDep, _: CanWriteSchedules) -> Response:
    if not await schedules.delete(schedule_id):
        raise Problem(404, f"schedule {schedule_id} does not exist", slug="not-found")
    return Response(status_code=204)
