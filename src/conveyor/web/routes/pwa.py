"""What makes the console installable: the service worker (served from the root so it may
control every page) and the offline page it falls back to."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from conveyor.web.render import page

router = APIRouter()
SERVICE_WORKER = Path(__file__).resolve().parents[1] / "static" / "sw.js"


@router.get("/sw.js", include_in_schema=False)
async def service_worker() -> Response:
    # Always revalidated: a new console release must replace the old worker promptly.
    return FileResponse(SERVICE_WORKER, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/offline", include_in_schema=False)
async def offline(request: Request) -> Response:
    response = page(request, "offline.html", None)
    response.headers["Cache-Control"] = "no-cache"  # the service worker keeps a copy; nothing personal in it
    return response
