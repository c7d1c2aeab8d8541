"""Overview: queue depth and age, recent failures, throughput; refreshed live by HTMX polling."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from conveyor.client import Calls
from conveyor.web.auth import Viewer, ViewerDep
from conveyor.web.render import page

router = APIRouter()
REFRESH_SECONDS = 5


async def _numbers(viewer: Viewer) -> dict[str, Any]:
    # Three independent reads: in parallel, so the page costs one API round trip of latency.
    queues, failures, analytics = await asyncio.gather(
        viewer.api.call(Calls.queues()),
        viewer.api.call(Calls.dead_letter(limit=5)),
        viewer.api.call(Calls.analytics()),
    )
    seconds = max(1.0, (analytics.until - analytics.since).total_seconds())
    totals = {
        key: sum(getattr(b, key) for b in analytics.breakdown)
        for key in ("enqueued", "succeeded", "retried", "dead", "cancelled")
    }
    finished = totals["succeeded"] + totals["dead"]
    return {
        "queues": [q for q in queues if not q.name.startswith("conveyor.") or q.due or q.running],
        "failures": failures.items,
        "totals": totals,
        "throughput": totals["succeeded"] / seconds,
        "success_rate": totals["succeeded"] / finished if finished else None,
        "breakdown": analytics.breakdown,
        "refresh_seconds": REFRESH_SECONDS,
    }


@router.get("/")
async def overview(request: Request, viewer: ViewerDep) -> Response:
    return page(request, "overview.html", viewer, **await _numbers(viewer))


@router.get("/overview/live")
async def overview_live(request: Request, viewer: ViewerDep) -> Response:
    """The part of the overview that polling replaces."""
    return page(request, "overview_live.html", viewer, **await _numbers(viewer))
