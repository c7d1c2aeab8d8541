"""Dead letter: jobs that ran out of attempts, replayed one by one or by filter."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from conveyor.client import Calls
from conveyor.web.auth import ViewerDep
from conveyor.web.forms import form_data
from conveyor.web.render import act, page, redirect

router = APIRouter()


@router.get("/dead-letter")
async def dead_letter(
    request: Request,
    viewer: ViewerDep,
    queue: str | None = None,
    type: str | None = None,
    cursor: str | None = None,
) -> Response:
    filters = {k: v for k, v in {"queue": queue, "type": type}.items() if v}
    result = await viewer.api.call(Calls.dead_letter(**filters, cursor=cursor, limit=50))
    return page(
        request, "dead_letter.html", viewer,
        jobs=result.items, next_cursor=result.next_cursor, filters=filters, cursor=cursor,
    )  # fmt: skip


@router.post("/dead-letter/{job_id}/replay")
async def replay_one(viewer: ViewerDep, job_id: int) -> Response:
    return await act(
        viewer, Calls.retry(job_id), "/dead-letter", f"Job {job_id} replayed: it is queued again."
    )


@router.post("/dead-letter/replay")
async def replay_matching(request: Request, viewer: ViewerDep) -> Response:
    form = await form_data(request)
    filters = {k: form[k] for k in ("queue", "type") if form.get(k)}
    replayed = await viewer.api.call(Calls.replay_dead(**filters))
    back = "/dead-letter" + (f"?{urlencode(filters)}" if filters else "")
    return redirect(back, f"Replayed {replayed.replayed} job(s).")
