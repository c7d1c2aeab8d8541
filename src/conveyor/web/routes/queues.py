"""Queues: depth, age of the oldest due job, pause and resume."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from conveyor.client import Calls
from conveyor.web.auth import ViewerDep
from conveyor.web.render import page, redirect

router = APIRouter()


@router.get("/queues")
async def queues(request: Request, viewer: ViewerDep) -> Response:
    return page(request, "queues.html", viewer, queues=await viewer.api.call(Calls.queues()))


@router.post("/queues/{name}/pause")
async def pause(viewer: ViewerDep, name: str) -> Response:
    await viewer.api.call(Calls.pause_queue(name))
    return redirect("/queues", f"Queue {name} paused: workers take no new jobs from it.")


@router.post("/queues/{name}/resume")
async def resume(viewer: ViewerDep, name: str) -> Response:
    await viewer.api.call(Calls.resume_queue(name))
    return redirect("/queues", f"Queue {name} resumed.")
