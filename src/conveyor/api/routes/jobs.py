"""/api/v1/jobs: submit, list, read, cancel, retry; dead-letter replay; queue controls; workers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from conveyor.api import API_PREFIX
from conveyor.api.conditional import conditional
from conveyor.api.deprecation import PAUSED_FIELD_SUNSET, announce_deprecation
from conveyor.api.deps import (
    CanReadJobs,
    CanReadQueues,
    CanWriteJobs,
    CanWriteQueues,
    JobsDep,
    QueuesDep,
    SettingsDep,
)
from conveyor.api.destinations import refuse_private_http_targets
from conveyor.api.idempotency import Replay, idempotent
from conveyor.api.pagination import Page, decode_cursor, encode_cursor
from conveyor.api.params import IdPath
from conveyor.api.problems import IDEMPOTENT_RESPONSES, PROBLEM_RESPONSES, Problem
from conveyor.api.redaction import PayloadViewDep
from conveyor.engine.models import QUEUE_PATTERN, Job, JobEvent, JobSpec, JobState, QueueName
from conveyor.inputs import InputModel, Timestamp
from conveyor.store.users import Principal

router = APIRouter(prefix=API_PREFIX, tags=["jobs"], responses=PROBLEM_RESPONSES)
MAX_BATCH = 1000


class JobBatch(InputModel):
    jobs: list[JobSpec] = Field(min_length=1, max_length=MAX_BATCH)


class BatchResult(BaseModel):
    items: list[Job]
    created: list[bool]


def _batch_reference(body: dict[str, Any]) -> dict[str, Any]:
    return {"ids": [item["id"] for item in body["items"]], "created": body["created"]}


async def _current_batch(request: Request, _: Principal, reference: dict[str, Any]) -> BatchResult | None:
    """The batch's jobs as they are now; None once any of them was deleted (retention)."""
    found = await request.app.state.jobs.get_many(reference["ids"])
    if any(job_id not in found for job_id in reference["ids"]):
        return None
    return BatchResult(items=[found[job_id] for job_id in reference["ids"]], created=reference["created"])


BatchReplay = Annotated[None, idempotent(Replay("jobs", _current_batch, remember=_batch_reference))]


class ReplayFilter(InputModel):
    queue: QueueName | None = None
    type: str | None = None
    limit: int = Field(default=1000, ge=1, le=100_000)


class Replayed(BaseModel):
    replayed: int
    ids: list[int]


class QueueUpdate(InputModel):
    paused: bool | None = Field(
        default=None,
        deprecated=True,
        description="Deprecated: use POST /queues/{name}/pause and /resume. Sunset 2027-06-30.",
    )
    concurrency_limit: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="Most jobs running at once, across workers; null removes it.",
    )
    rate_limit: float | None = Field(
        default=None,
        gt=0,
        le=100_000,
        description="Most jobs started per second, across workers; null removes it.",
    )


class Queue(BaseModel):
    name: str
    paused: bool
    concurrency_limit: int | None
    rate_limit: float | None


class QueueStats(Queue):
    due: int
    waiting: int
    running: int
    oldest_due_age_seconds: float


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
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Job:
    refuse_private_http_targets([("", spec)], settings)
    if idempotency_key:
        spec = spec.model_copy(update={"idempotency_key": idempotency_key})
    [(job, created)] = await jobs.enqueue(
        [spec], created_by=principal.user_id, key_namespace=_namespace(principal.user_id)
    )
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job


@router.post("/jobs/batch", status_code=201, response_model=BatchResult, responses=IDEMPOTENT_RESPONSES)
async def submit_batch(
    batch: JobBatch,
    jobs: JobsDep,
    principal: CanWriteJobs,
    settings: SettingsDep,
    _idempotent: BatchReplay,
) -> BatchResult:
    refuse_private_http_targets(((f"jobs[{i}].", spec) for i, spec in enumerate(batch.jobs)), settings)
    results = await jobs.enqueue(
        batch.jobs, created_by=principal.user_id, key_namespace=_namespace(principal.user_id)
    )
    return BatchResult(items=[j for j, _ in results], created=[c for _, c in results])


@router.get("/jobs", response_model=Page[Job])
async def list_jobs(
    jobs: JobsDep,
    _: CanReadJobs,
    view: PayloadViewDep,
    state: JobState | None = None,
    queue: Annotated[str | None, Query(pattern=QUEUE_PATTERN)] = None,
    type: Annotated[str | None, Query(max_length=128)] = None,
    created_after: AwareDatetime | None = None,
    created_before: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Page[Job]:
    items = await jobs.page(
        state=state,
        queue=queue,
        type=type,
        before_id=decode_cursor(cursor),
        limit=limit,
        created_after=created_after,
        created_before=created_before,
    )
    next_cursor = encode_cursor(items[-1].id) if len(items) == limit else None
    return Page[Job](items=view.jobs(items), next_cursor=next_cursor)


async def _job_or_404(jobs: JobsDep, job_id: int) -> Job:
    job = await jobs.get(job_id)
    if job is None:
        raise Problem(404, f"job {job_id} does not exist", slug="not-found")
    return job


@router.get(
    "/jobs/{job_id}", response_model=Job, responses={304: {"description": "Not Modified (If-None-Match)"}}
)
async def get_job(
    request: Request, job_id: IdPath, jobs: JobsDep, _: CanReadJobs, view: PayloadViewDep
) -> Response:
    return conditional(request, view.job(await _job_or_404(jobs, job_id)))


@router.get("/jobs/{job_id}/events", response_model=list[JobEvent])
async def job_events(job_id: IdPath, jobs: JobsDep, _: CanReadJobs) -> list[JobEvent]:
    await _job_or_404(jobs, job_id)
    return await jobs.events(job_id)


@router.post("/jobs/{job_id}/cancel", response_model=Job)
async def cancel_job(job_id: IdPath, jobs: JobsDep, _: CanWriteJobs) -> Job:
    return await jobs.cancel(job_id)


@router.post("/jobs/{job_id}/retry", response_model=Job)
async def retry_job(job_id: IdPath, jobs: JobsDep, _: CanWriteJobs) -> Job:
    return await jobs.retry(job_id)


@router.delete("/jobs/{job_id}", status_code=204)
async def delete_job(job_id: IdPath, jobs: JobsDep, _: CanWriteJobs) -> Response:
    """Delete a finished job and its events (running or waiting jobs: cancel first)."""
    await jobs.delete(job_id)
    return Response(status_code=204)


@router.get("/dead-letter", response_model=Page[Job])
async def list_dead_letter(
    jobs: JobsDep,
    _: CanReadJobs,
    view: PayloadViewDep,
    queue: Annotated[str | None, Query(pattern=QUEUE_PATTERN)] = None,
    type: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Page[Job]:
    items = await jobs.page(
        state="dead", queue=queue, type=type, before_id=decode_cursor(cursor), limit=limit
    )
    next_cursor = encode_cursor(items[-1].id) if len(items) == limit else None
    return Page[Job](items=view.jobs(items), next_cursor=next_cursor)


def _boolean(value: object) -> object:
    # A literal compares by equality, and 1 == True: strict mode alone would let 1 through.
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "Input should be a valid boolean")
    return value


class PurgeFilter(InputModel):
    queue: QueueName | None = None
    type: str | None = None
    finished_before: Timestamp | None = None
    confirm: Annotated[Literal[True], BeforeValidator(_boolean)] = Field(
        description="Must be true: purging deletes jobs for good."
    )


class Purged(BaseModel):
    purged: int


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


@router.get("/queues", response_model=list[QueueStats], tags=["queues"])
async def list_queues(queues: QueuesDep, _: CanReadQueues) -> list[QueueStats]:
    return [QueueStats.model_validate(row) for row in await queues.overview()]


class WorkerInfo(BaseModel):
    id: str
    queues: list[str]
    concurrency: int = Field(description="Slots: jobs it runs at once.")
    busy: int = Field(description="Slots running a job at its last announcement.")
    started_at: datetime
    seen_at: datetime


# Workers announce themselves every 5 s; three missed announcements and one is not listed.
WORKER_SILENCE_SECONDS = 15.0


@router.get("/workers", response_model=list[WorkerInfo], tags=["queues"])
async def list_workers(queues: QueuesDep, _: CanReadQueues) -> list[WorkerInfo]:
    """Running workers, their slots and how many are busy (as of each one's last announcement)."""
    return [WorkerInfo.model_validate(row) for row in await queues.workers(WORKER_SILENCE_SECONDS)]


QueuePath = Annotated[str, Path(pattern=QUEUE_PATTERN)]


@router.patch("/queues/{name}", response_model=Queue, tags=["queues"])
async def update_queue(
    name: QueuePath, update: QueueUpdate, queues: QueuesDep, _: CanWriteQueues, response: Response
) -> Queue:
    if "paused" in update.model_fields_set:
        announce_deprecation(response, PAUSED_FIELD_SUNSET, successor=f"{API_PREFIX}/queues/{name}/pause")
    row = await queues.update(
        name,
        paused=update.paused,
        concurrency_limit=update.concurrency_limit,
        set_limit="concurrency_limit" in update.model_fields_set,
        rate_limit=update.rate_limit,
        set_rate="rate_limit" in update.model_fields_set,
    )
    return Queue.model_validate(row)


@router.post("/queues/{name}/pause", response_model=Queue, tags=["queues"])
async def pause_queue(name: QueuePath, queues: QueuesDep, _: CanWriteQueues) -> Queue:
    return Queue.model_validate(await queues.update(name, paused=True))


@router.post("/queues/{name}/resume", response_model=Queue, tags=["queues"])
async def resume_queue(name: QueuePath, queues: QueuesDep, _: CanWriteQueues) -> Queue:
    return Queue.model_validate(await queues.update(name, paused=False))
