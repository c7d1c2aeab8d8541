"""/api/v1/dead-letter: jobs that ran out of attempts, listed, replayed and purged by filter."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from conveyor.api import API_PREFIX
from conveyor.api.deps import CanReadJobs, CanWriteJobs, JobsDep
from conveyor.api.models.dead_letter import Purged, PurgeFilter, Replayed, ReplayFilter
from conveyor.api.pagination import Page, PageQueryDep
from conveyor.api.problems import PROBLEM_RESPONSES
from conveyor.api.redaction import PayloadViewDep
from conveyor.engine.models import QUEUE_PATTERN, Job

# Tagged jobs, as published: dead-lettered jobs are jobs in a final state.
router = APIRouter(prefix=API_PREFIX, tags=["jobs"], responses=PROBLEM_RESPONSES)


@router.get("/dead-letter", response_model=Page[Job])
async def list_dead_letter(
    jobs: JobsDep,
    _: CanReadJobs,
    view: PayloadViewDep,
    page: PageQueryDep,
    queue: Annotated[str | None, Query(pattern=QUEUE_PATTERN)] = None,
    type: Annotated[str | None, Query(max_length=128)] = None,
) -> Page[Job]:
    items = await jobs.page(state="dead", queue=queue, type=type, before_id=page.last_id, limit=page.limit)
    return Page[Job](items=view.jobs(items), next_cursor=page.next_cursor(items))


@router.post("/dead-letter/purge", response_model=Purged)
async def purge_dead_letter(filters: PurgeFilter, jobs: JobsDep, _: CanWriteJobs) -> Purged:
    count = await jobs.purge_dead(
        queue=filters.queue, type=filters.type, finished_before=filters.finished_before
    )
    return Purged(purged=count)


@router.post("/dead-letter/replay", response_model=Replayed)
async def replay_dead_letter(filters: ReplayFilter, jobs: JobsDep, _: CanWriteJobs) -> Replayed:
    ids = await jobs.replay_dead(queue=filters.queue, type=filters.type, limit=filters.limit)
    return Replayed(replayed=len(ids), ids=ids[:1000])
