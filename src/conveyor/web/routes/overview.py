"""Overview: throughput and failure-rate charts over a chosen window, queue depth and age, worker
slots busy, recent failures; refreshed live by HTMX polling."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from conveyor.client import Calls
from conveyor.web.auth import Viewer, ViewerDep
from conveyor.web.charts import throughput_and_failures
from conveyor.web.render import page

router = APIRouter()
REFRESH_SECONDS = 5
# The windows offered, each drawn as BUCKETS points.
WINDOWS = {"15m": 900, "1h": 3600, "6h": 6 * 3600, "24h": 86400}
DEFAULT_WINDOW = "1h"
BUCKETS = 30


async def _numbers(viewer: Viewer, window: str) -> dict[str, Any]:
    window = window if window in WINDOWS else DEFAULT_WINDOW
    seconds_in_window = WINDOWS[window]
    bucket_seconds = seconds_in_window // BUCKETS
    # Aligned to the bucket, so a poll a few seconds later draws the same buckets.
    now = datetime.now(UTC)
    until = datetime.fromtimestamp((now.timestamp() // bucket_seconds + 1) * bucket_seconds, UTC)
    since = until - timedelta(seconds=seconds_in_window)
    # Independent reads, in parallel: the page costs one API round trip of latency.
    queues, workers, failures, analytics = await asyncio.gather(
        viewer.api.call(Calls.queues()),
        viewer.api.call(Calls.workers()),
        viewer.api.call(Calls.dead_letter(limit=5)),
        viewer.api.call(
            Calls.analytics(since=since.isoformat(), until=until.isoformat(), bucket_seconds=bucket_seconds)
        ),
    )
    charts = throughput_and_failures(analytics.series, since, bucket_seconds, BUCKETS)
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
        "charts": charts,
        "workers": workers,
        "slots": sum(w.concurrency for w in workers),
        "slots_busy": sum(w.busy for w in workers),
        "window": window,
        "windows": list(WINDOWS),
    }


@router.get("/")
async def overview(request: Request, viewer: ViewerDep, window: str = DEFAULT_WINDOW) -> Response:
    return page(request, "overview.html", viewer, **await _numbers(viewer, window))


@router.get("/overview/live")
async def overview_live(request: Request, viewer: ViewerDep, window: str = DEFAULT_WINDOW) -> Response:
    """The part of the overview that polling replaces."""
    return page(request, "overview_live.html", viewer, **await _numbers(viewer, window))
