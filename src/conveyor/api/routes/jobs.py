"""/api/v1/jobs: submit, list, read, cancel, retry; dead-letter replay; queue controls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from conveyor.api import API_PREFIX
from conveyor.api.deps import CanReadJobs, CanWriteJobs, CanWriteQueues, JobsDep
from conveyor.api.pagination import Page, decode_cursor, encode_cursor
from conveyor.api.problems import Problem
from conveyor.engine.models import QUEUE_PATTERN, Job, JobEvent, JobSpec, JobState, QueueName

router = APIRouter(prefix=API_PREFIX, tags=["jobs"])
MAX_BATCH = 1000


class JobBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    jobs: list[JobSpec] = Field(min_length=1, max_length=MAX_BATCH)


class BatchResult(BaseModel):
    items: list[Job]
    created: list[bool]


class ReplayFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: QueueName | None = None
    type: str | None = None
    limit: int = Field(default=1000, ge=1, le=100_000)


class Replayed(BaseModel):
    replayed: int
    ids: list[int]


class QueueUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paused: bool | None = None
    concurrency_limit: int | None = Field(
        default=None, ge=1, le=100_000, description="null removes the limit"
    )


class Queue(BaseModel):
    name: str
    paused: bool
    concurrency_limit: int | None


def _namespace(user_id: int) -> str:
    # Idempotency keys are per user: one user's key never returns another user's job.
    return f"u{user_id}:"


@router.post(
    "/jobs",
    status_code=201,
    response_model=Job,
    responses={200: {"description": "Idempotent replay: the job this key created before."}},
)
async def submit_job(
    spec: JobSpec,
    jobs: JobsDep,
    principal: CanWriteJobs,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Job:
    if idempotency_key:
        spec = spec.model_copy(update={"idempotency_key": idempotency_key})
    [(job, created)] = await jobs.enqueue(
        [spec], created_by=principal.user_id, key_namespace=_namespace(principal.user_id)
    )
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job


@router.post("/jobs/batch", status_code=201, response_model=BatchResult)
async def submit_batch(batch: JobBatch, jobs: JobsDep, principal: CanWriteJobs) -> BatchResult:
    results = await jobs.enqueue(
        batch.jobs, created_by=principal.user_id, key_namespace=_namespace(principal.user_id)
    )
    return BatchResult(items=[j for j, _ in results], created=[c for _, c in results])


@router.get("/jobs", response_model=Page[Job])
async def list_jobs(
    jobs: JobsDep,
    _: CanReadJobs,
    state: JobState | None = None,
    queue: Annotated[str | None, Query(pattern=QUEUE_PATTERN)] = None,
    type: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Page[Job]:
    items = await jobs.page(state=state, queue=queue, type=type, before_id=decode_cursor(cursor), limit=limit)
    next_cursor = encode_cursor(items[-1].id) if len(items) == limit else None
    return Page[Job](items=items, next_cursor=next_cursor)


async def _job_or_404(jobs: JobsDep, job_id: int) -> Job:
    job = await jobs.get(job_id)
    if job is None:
        raise Problem(404, f"job {job_id} does not exist", slug="not-found")
    return job


@router.get("/jobs/{job_id}", response_model=Job)
async def get_job(job_id: int, jobs: JobsDep, _: CanReadJobs) -> Job:
    return await _job_or_404(jobs, job_id)


@router.get("/jobs/{job_id}/events", response_model=list[JobEvent])
async def job_events(job_id: int, jobs: JobsDep, _: CanReadJobs) -> list[JobEvent]:
    await _job_or_404(jobs, job_id)
    return await jobs.events(job_id)


@router.post("/jobs/{job_id}/cancel", response_model=Job)
async def cancel_job(job_id: int, jobs: JobsDep, _: CanWriteJobs) -> Job:
    return await jobs.cancel(job_id)


@router.post("/jobs/{job_id}/retry", response_model=Job)
async def retry_job(job_id: int, jobs: JobsDep, _: CanWriteJobs) -> Job:
    return await jobs.retry(job_id)


@router.post("/dead-letter/replay", response_model=Replayed)
async def replay_dead_letter(filters: ReplayFilter, jobs: JobsDep, _: CanWriteJobs) -> Replayed:
    ids = await jobs.replay_dead(queue=filters.queue, type=filters.type, limit=filters.limit)
    return Replayed(replayed=len(ids), ids=ids[:1000])


@router.patch("/queues/{name}", response_model=Queue, tags=["queues"])
async def update_queue(
    name: Annotated[str, Path(pattern=QUEUE_PATTERN)],
    update: QueueUpdate,
    jobs: JobsDep,
    _: CanWriteQueues,
) -> Queue:
    row = await jobs.set_queue(
        name,
        paused=update.paused,
        concurrency_limit=update.concurrency_limit,
        set_limit="concurrency_limit" in update.model_fields_set,
    )
    return Queue.model_validate(row)
