"""/api/v1/jobs: submit (one or a batch), list, read, events, cancel, retry, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import AwareDatetime

from conveyor.api import API_PREFIX
from conveyor.api.conditional import conditional
from conveyor.api.deps import CanReadJobs, CanWriteJobs, JobsDep, SettingsDep
from conveyor.api.destinations import refuse_private_http_targets
from conveyor.api.idempotency import Replay, idempotent
from conveyor.api.models.jobs import BatchResult, JobBatch
from conveyor.api.pagination import Page, PageQueryDep
from conveyor.api.params import IdPath
from conveyor.api.problems import IDEMPOTENT_RESPONSES, PROBLEM_RESPONSES, Problem
from conveyor.api.redaction import PayloadViewDep
from conveyor.engine.models import QUEUE_PATTERN, Job, JobEvent, JobSpec, JobState
from conveyor.store.users import Principal

router = APIRouter(prefix=API_PREFIX, tags=["jobs"], responses=PROBLEM_RESPONSES)


def _batch_reference(body: dict[str, Any]) -> dict[str, Any]:
    return {"ids": [item["id"] for item in body["items"]], "created": body["created"]}


async def _current_batch(request: Request, _: Principal, reference: dict[str, Any]) -> BatchResult | None:
    """The batch's jobs as they are now; None once any of them was deleted (retention)."""
    found = await request.app.state.jobs.get_many(reference["ids"])
    if any(job_id not in found for job_id in reference["ids"]):
        return None
    return BatchResult(items=[found[job_id] for job_id in reference["ids"]], created=reference["created"])


BatchReplay = Annotated[None, idempotent(Replay("jobs", _current_batch, remember=_batch_reference))]


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
    page: PageQueryDep,
    state: JobState | None = None,
    queue: Annotated[str | None, Query(pattern=QUEUE_PATTERN)] = None,
    type: Annotated[str | None, Query(max_length=128)] = None,
    created_after: AwareDatetime | None = None,
    created_before: AwareDatetime | None = None,
) -> Page[Job]:
    items = await jobs.page(
        state=state,
        queue=queue,
        type=type,
        before_id=page.last_id,
        limit=page.limit,
        created_after=created_after,
        created_before=created_before,
    )
    return Page[Job](items=view.jobs(items), next_cursor=page.next_cursor(items))


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
