"""Webhooks: endpoints (the secret is shown once), test delivery, delivery log, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from conveyor.client import ApiError, Calls
from conveyor.web.auth import Viewer, ViewerDep
from conveyor.web.render import act, page, redirect

router = APIRouter()
EVENTS = ("job.queued", "job.running", "job.retrying", "job.succeeded", "job.dead", "job.cancelled")


async def _webhooks_page(request: Request, viewer: Viewer, **context: Any) -> Response:
    status_code = context.pop("status_code", 200)
    context.setdefault("errors", {})
    context.setdefault("values", {"events": ["job.dead"]})
    context.setdefault("message", None)
    endpoints = await viewer.api.call(Calls.list_webhooks())
    return page(
        request,
        "webhooks.html",
        viewer,
        status_code=status_code,
        endpoints=endpoints,
        events=EVENTS,
        **context,
    )


@router.get("/webhooks")
async def webhooks(request: Request, viewer: ViewerDep) -> Response:
    return await _webhooks_page(request, viewer)


@router.post("/webhooks")
async def create(request: Request, viewer: ViewerDep) -> Response:
    form = await request.form()
    url = str(form.get("url") or "").strip()
    events = [str(e) for e in form.getlist("events") if str(e) in EVENTS]
    description = str(form.get("description") or "").strip()
    values = {"url": url, "events": events, "description": description}
    errors: dict[str, str] = {}
    if not url:
        errors["url"] = "Enter the URL that receives the events."
    if not events:
        errors["events"] = "Choose at least one event."
    if errors:
        return await _webhooks_page(request, viewer, errors=errors, values=values, status_code=422)
    body = {"url": url, "events": events, **({"description": description} if description else {})}
    try:
        created = await viewer.api.call(Calls.create_webhook(body))
    except ApiError as exc:
        if exc.status != 422:
            raise
        found = {
            str(e.get("field", "")).split(".")[0]: str(e.get("message"))
            for e in exc.problem.get("errors") or []
        }
        errors = {k: v for k, v in found.items() if k in ("url", "events", "description")}
        message = None if errors else str(exc.problem.get("detail"))
        return await _webhooks_page(
            request, viewer, errors=errors, values=values, message=message, status_code=422
        )
    # Rendered, not redirected: the signing secret appears once and never in a URL.
    return await _webhooks_page(request, viewer, created=created, status_code=201)


@router.get("/webhooks/{endpoint_id}")
async def deliveries(
    request: Request, viewer: ViewerDep, endpoint_id: int, cursor: str | None = None
) -> Response:
    endpoint = await viewer.api.call(Calls.get_webhook(endpoint_id))
    log = await viewer.api.call(Calls.webhook_deliveries(endpoint_id, cursor=cursor))
    return page(
        request, "webhook.html", viewer, endpoint=endpoint, deliveries=log.items,
        next_cursor=log.next_cursor, cursor=cursor,
    )  # fmt: skip


@router.post("/webhooks/{endpoint_id}/test")
async def test_delivery(viewer: ViewerDep, endpoint_id: int) -> Response:
    job = await viewer.api.call(Calls.test_webhook(endpoint_id))
    return redirect(f"/webhooks/{endpoint_id}", f"Test event sent (delivery job {job.id}).")


@router.post("/webhooks/{endpoint_id}/delete")
async def delete(viewer: ViewerDep, endpoint_id: int) -> Response:
    return await act(
        viewer,
        Calls.delete_webhook(endpoint_id),
        "/webhooks",
        "Endpoint deleted: it receives no more events.",
    )
