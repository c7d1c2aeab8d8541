"""Schedules: list, create with a cron helper, pause, resume, trigger."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from conveyor.client import ApiError, Calls
from conveyor.web.auth import Viewer, ViewerDep
from conveyor.web.forms import api_field_errors, form_data, missing, parse_json_object
from conveyor.web.render import page, redirect

router = APIRouter()
PREVIEW_COUNT = 5
FORM_FIELDS = {
    "name": "name",
    "cron": "cron",
    "timezone": "timezone",
    "job.type": "type",
    "job.queue": "queue",
    "job.payload": "payload",
    "job": "type",
}
EXAMPLES = [
    ("*/5 * * * *", "every 5 minutes"),
    ("0 9 * * 1-5", "09:00 on weekdays"),
    ("0 0 1 * *", "midnight on the 1st of each month"),
    ("@every 30s", "every 30 seconds"),
]


@router.get("/schedules")
async def schedules(request: Request, viewer: ViewerDep, cursor: str | None = None) -> Response:
    result = await viewer.api.call(Calls.list_schedules(limit=100, **({"cursor": cursor} if cursor else {})))
    return page(request, "schedules.html", viewer, schedules=result.items, next_cursor=result.next_cursor)


async def _preview(viewer: Viewer, cron: str, timezone: str) -> dict[str, Any]:
    """Next fire times, or why the cadence is wrong (the API's own parser decides)."""
    if not cron:
        return {"times": [], "error": None}
    try:
        preview = await viewer.api.call(Calls.preview_cadence(cron, timezone or "UTC", PREVIEW_COUNT))
    except ApiError as exc:
        if exc.status != 422:
            raise
        return {"times": [], "error": str(exc.problem.get("detail") or exc)}
    return {"times": preview.next_fire_times, "error": None}


def _form(request: Request, viewer: Viewer, values: dict[str, str], **context: Any) -> Response:
    status_code = context.pop("status_code", 200)
    context.setdefault("errors", {})
    context.setdefault("message", None)
    context.setdefault("preview", {"times": [], "error": None})
    return page(
        request, "schedule_new.html", viewer, status_code=status_code,
        values=values, examples=EXAMPLES, **context,
    )  # fmt: skip


@router.get("/schedules/new")
async def schedule_new(request: Request, viewer: ViewerDep) -> Response:
    values = {"cron": "*/5 * * * *", "timezone": "UTC", "type": "echo", "queue": "default", "payload": "{}"}
    return _form(request, viewer, values, preview=await _preview(viewer, values["cron"], "UTC"))


@router.post("/schedules/preview")
async def cron_preview(request: Request, viewer: ViewerDep) -> Response:
    """The cron helper's live answer (HTMX swaps it in as the user types)."""
    values = await form_data(request)
    preview = await _preview(viewer, values.get("cron", ""), values.get("timezone", ""))
    return page(request, "cron_preview.html", viewer, preview=preview)


@router.post("/schedules/new")
async def schedule_create(request: Request, viewer: ViewerDep) -> Response:
    values = await form_data(request)
    preview = await _preview(viewer, values.get("cron", ""), values.get("timezone", ""))
    if values.get("action") == "preview":  # the helper without JavaScript
        return _form(request, viewer, values, preview=preview)
    errors = missing(
        values, {"name": "Enter a name.", "cron": "Enter a cron expression.", "type": "Enter a job type."}
    )
    if preview["error"] and "cron" not in errors:
        errors["cron" if "timezone" not in preview["error"] else "timezone"] = preview["error"]
    payload = parse_json_object(values.get("payload", ""), "payload", errors)
    if errors:
        return _form(request, viewer, values, errors=errors, preview=preview, status_code=422)
    body = {
        "name": values["name"],
        "cron": values["cron"],
        "timezone": values.get("timezone") or "UTC",
        "job": {"type": values["type"], "queue": values.get("queue") or "default", "payload": payload},
    }
    try:
        created = await viewer.api.call(Calls.create_schedule(body))
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        errors, message = api_field_errors(exc, FORM_FIELDS)
        return _form(
            request, viewer, values, errors=errors, message=message, preview=preview, status_code=exc.status
        )
    return redirect("/schedules", f"Schedule {created.name} created.")


@router.post("/schedules/{schedule_id}/pause")
async def pause(viewer: ViewerDep, schedule_id: int) -> Response:
    schedule = await viewer.api.call(Calls.pause_schedule(schedule_id))
    return redirect("/schedules", f"Schedule {schedule.name} paused.")


@router.post("/schedules/{schedule_id}/resume")
async def resume(viewer: ViewerDep, schedule_id: int) -> Response:
    schedule = await viewer.api.call(Calls.resume_schedule(schedule_id))
    return redirect("/schedules", f"Schedule {schedule.name} resumed.")


@router.post("/schedules/{schedule_id}/trigger")
async def trigger(viewer: ViewerDep, schedule_id: int) -> Response:
    job = await viewer.api.call(Calls.trigger_schedule(schedule_id))
    return redirect(f"/jobs/{job.id}", f"Schedule triggered: job {job.id}.")
