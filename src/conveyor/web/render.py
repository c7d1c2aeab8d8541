"""Templates, their filters, and the one-shot notice shown after an action."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from conveyor.client import Call
from conveyor.web.auth import Viewer

TEMPLATES = Path(__file__).parent / "templates"
NOTICE_COOKIE = "conveyor_notice"
templates = Jinja2Templates(directory=TEMPLATES)


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def between(start: datetime | None, end: datetime | None) -> str:
    return duration((end - start).total_seconds()) if start and end else "—"


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


templates.env.filters.update(when=when, duration=duration, pretty=pretty)
templates.env.globals.update(between=between, quote=lambda s: quote(str(s), safe=""))


def page(
    request: Request,
    template: str,
    viewer: Viewer | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    notice = request.cookies.get(NOTICE_COOKIE)
    response = templates.TemplateResponse(
        request,
        template,
        {"viewer": viewer, "notice": unquote(notice) if notice else None, **context},
        status_code=status_code,
    )
    if notice:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    # Pages carry user data: never from a shared cache, never kept for the back button offline.
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(url: str, notice: str | None = None) -> RedirectResponse:
    """Post/redirect/get, with a notice for the next page (a short-lived cookie)."""
    response = RedirectResponse(url, status_code=303)
    if notice:
        response.set_cookie(NOTICE_COOKIE, quote(notice), max_age=60, path="/", httponly=True, samesite="lax")
    return response


async def act(viewer: Viewer, call: Call[Any], back: str, notice: str) -> RedirectResponse:
    """An action button: one API call as the signed-in user, then back to ``back`` saying
    ``notice``. A refusal from the API is raised to the console's error pages, as on any page."""
    await viewer.api.call(call)
    return redirect(back, notice)
