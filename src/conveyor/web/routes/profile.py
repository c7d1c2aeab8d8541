"""The signed-in user's own profile."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from conveyor.api.permissions import ROLE_PERMISSIONS, Permission
from conveyor.web.auth import ViewerDep
from conveyor.web.render import page

router = APIRouter()


@router.get("/profile")
async def profile(request: Request, viewer: ViewerDep) -> Response:
    granted = sorted(p.value for p in ROLE_PERMISSIONS[viewer.user.role] if p is not Permission.public)
    return page(request, "profile.html", viewer, permissions=granted)
