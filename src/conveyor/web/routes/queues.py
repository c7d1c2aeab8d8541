"""Queues: depth, age of the oldest due job, pause and resume, concurrency and rate limits."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from conveyor.client import ApiError, Calls
from conveyor.web.auth import ViewerDep
from conveyor.web.forms import api_field_errors, form_data, parse_int
from conveyor.web.render import act, page, redirect

router = APIRouter()


@router.get("/queues")
async def queues(request: Request, viewer: ViewerDep) -> Response:
    return page(request, "queues.html", viewer, queues=await viewer.api.call(Calls.queues()))


@router.post("/queues/{name}/pause")
async def pause(viewer: ViewerDep, name: str) -> Response:
    return await act(
        viewer, Calls.pause_queue(name), "/queues", f"Queue {name} paused: workers take no new jobs from it."
    )


@router.post("/queues/{name}/resume")
async def resume(viewer: ViewerDep, name: str) -> Response:
    return await act(viewer, Calls.resume_queue(name), "/queues", f"Queue {name} resumed.")


LIMIT_FIELDS = {"concurrency_limit": "concurrency_limit", "rate_limit": "rate_limit"}


def _limits_form(
    request: Request,
    viewer: ViewerDep,
    name: str,
    values: dict[str, str],
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    message: str | None = None,
) -> Response:
    return page(
        request, "queue_limits.html", viewer, status_code=status_code,
        name=name, values=values, errors=errors or {}, message=message,
    )  # fmt: skip


@router.get("/queues/{name}/limits")
async def limits_form(request: Request, viewer: ViewerDep, name: str) -> Response:
    queue = next((q for q in await viewer.api.call(Calls.queues()) if q.name == name), None)
    values = {
        "concurrency_limit": str(queue.concurrency_limit or "") if queue else "",
        "rate_limit": f"{queue.rate_limit:g}" if queue and queue.rate_limit else "",
    }
    return _limits_form(request, viewer, name, values)


@router.post("/queues/{name}/limits")
async def set_limits(request: Request, viewer: ViewerDep, name: str) -> Response:
    values = await form_data(request)
    errors: dict[str, str] = {}
    concurrency = parse_int(values.get("concurrency_limit", ""), "concurrency_limit", errors)
    rate: float | None = None
    if text := values.get("rate_limit", ""):
        try:
            rate = float(text)
        except ValueError:
            errors["rate_limit"] = "must be a number of jobs per second, like 5 or 0.5"
    if errors:
        return _limits_form(request, viewer, name, values, errors=errors, status_code=422)
    try:
        await viewer.api.call(Calls.set_queue_limits(name, concurrency, rate))
    except ApiError as exc:
        if exc.status != 422:
            raise
        errors, message = api_field_errors(exc, LIMIT_FIELDS)
        return _limits_form(request, viewer, name, values, errors=errors, message=message, status_code=422)
    said = ", ".join(
        part
        for part in (f"{concurrency} at once" if concurrency else "", f"{rate:g}/s" if rate else "")
        if part
    )
    return redirect("/queues", f"Queue {name}: {said or 'no limits'}.")
