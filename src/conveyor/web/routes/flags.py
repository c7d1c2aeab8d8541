"""/flags: the feature flags as they stand for the signed-in user. Dark-launched itself: shown
only to users the flag ``console-flags-page`` targets (404 for everyone else)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from conveyor import flags
from conveyor.web.auth import ViewerDep
from conveyor.web.render import page

router = APIRouter()


@router.get("/flags")
async def flags_page(request: Request, viewer: ViewerDep) -> Response:
    if not viewer.flag(flags.Flag.CONSOLE_FLAGS_PAGE):
        raise HTTPException(status_code=404)
    rows = [(flag.value, flags.DESCRIPTIONS[flag], viewer.flag(flag)) for flag in flags.Flag]
    return page(request, "flags.html", viewer, rows=rows)
