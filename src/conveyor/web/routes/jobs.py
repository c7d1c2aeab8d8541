"""Jobs: list with filters and cursor pagination, detail, submit, cancel, retry."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from conveyor.client import ApiError, Calls
from conveyor.engine.models import FINAL_STATES, JobState
from conveyor.web.auth import ViewerDep
from conveyor.web.forms import api_field_errors, form_data, missing, parse_int, parse_json_object
from conveyor.web.render import act, page, redirect

router = APIRouter()
PAGE_SIZE = 50
RETRYABLE = frozenset({JobState.dead, JobState.cancelled, JobState.scheduled, JobState.retrying})
STATES = [s.value for s in JobState]


def _filters(state: str | None, queue: str | None, type: str | None) -> dict[str, str]:
    return {k: v for k, v in {"state": state, "queue": queue, "type": type}.items() if v}


@router.get("/jobs")
async def jobs_list(
    request: Request,
    viewer: ViewerDep,
    state: str | None = None,
    queue: str | None = None,
    type: str | None = None,
    cursor: str | None = None,
) -> Response:
    filters = _filters(state, queue, type)
    try:
        result = await viewer.api.call(Calls.list_jobs(**filters, cursor=cursor, limit=PAGE_SIZE))
    except ApiError as exc:
        if exc.status != 422:
            raise
        # A bad filter is the user's input: show it beside the form, not as an error page.
        errors, message = api_field_errors(exc, {"state": "state", "queue": "queue", "type": "type"})
        return page(
            request, "jobs.html", viewer, status_code=422, jobs=[], next_cursor=None,
            filters=filters, states=STATES, errors=errors, message=message, cursor=cursor,
        )  # fmt: skip
    return page(
        request, "jobs.html", viewer, jobs=result.items, next_cursor=result.next_cursor,
        filters=filters, states=STATES, errors={}, message=None, cursor=cursor,
    )  # fmt: skip


def _job_form(request: Request, viewer: ViewerDep, values: dict[str, str], **extra: Any) -> Response:
    status_code = extra.pop("status_code", 200)
    return page(request, "job_new.html", viewer, status_code=status_code, values=values, **extra)


@router.get("/jobs/new")
async def job_new(request: Request, viewer: ViewerDep) -> Response:
    defaults = {"type": "echo", "queue": "default", "payload": "{}", "priority": "0", "max_attempts": ""}
    return _job_form(request, viewer, defaults, errors={}, message=None)


@router.post("/jobs/new")
async def job_submit(request: Request, viewer: ViewerDep) -> Response:
    values = await form_data(request)
    errors = missing(values, {"type": "Enter a job type, like echo or http."})
    payload = parse_json_object(values.get("payload", ""), "payload", errors)
    priority = parse_int(values.get("priority", ""), "priority", errors, default=0)
    max_attempts = parse_int(values.get("max_attempts", ""), "max_attempts", errors)
    if errors:
        return _job_form(request, viewer, values, errors=errors, message=None, status_code=422)
    body: dict[str, Any] = {
        "type": values["type"],
        "payload": payload,
        "queue": values.get("queue") or "default",
        "priority": priority,
    }
    if max_attempts is not None:
        body["max_attempts"] = max_attempts
    try:
        job = await viewer.api.call(Calls.submit(body))
    except ApiError as exc:
        if exc.status != 422:
            raise
        fields = {f: f for f in ("type", "payload", "queue", "priority", "max_attempts")}
        errors, message = api_field_errors(exc, fields)
        return _job_form(request, viewer, values, errors=errors, message=message, status_code=422)
    return redirect(f"/jobs/{job.id}", f"Job {job.id} submitted.")


async def _detail(viewer: ViewerDep, job_id: int) -> dict[str, Any]:
    job, events = await asyncio.gather(
        viewer.api.call(Calls.get_job(job_id)), viewer.api.call(Calls.job_events(job_id))
    )
    return {
        "job": job,
        "events": events,
        "final": job.state in FINAL_STATES,
        "can_cancel": job.state not in FINAL_STATES and not job.cancel_requested,
        "can_retry": job.state in RETRYABLE,
    }


@router.get("/jobs/{job_id}")
async def job_detail(request: Request, viewer: ViewerDep, job_id: int) -> Response:
    return page(request, "job.html", viewer, **await _detail(viewer, job_id))


@router.get("/jobs/{job_id}/live")
async def job_live(request: Request, viewer: ViewerDep, job_id: int) -> Response:
    return page(request, "job_live.html", viewer, **await _detail(viewer, job_id))


@router.post("/jobs/{job_id}/cancel")
async def job_cancel(viewer: ViewerDep, job_id: int) -> Response:
    job = await viewer.api.call(Calls.cancel(job_id))
    said = "cancelled" if job.state == JobState.cancelled else "asked to stop (it is running)"
    return redirect(f"/jobs/{job_id}", f"Job {job_id} {said}.")


@router.post("/jobs/{job_id}/retry")
async def job_retry(viewer: ViewerDep, job_id: int) -> Response:
    return await act(viewer, Calls.retry(job_id), f"/jobs/{job_id}", f"Job {job_id} queued again.")
