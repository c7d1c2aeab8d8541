"""Who is looking: the console session, its CSRF check, and what the role allows.

The console cookie carries the API session id and nothing else. Every page asks the API for
the session (``GET /sessions/current``), which validates it, says who the user is and returns
the CSRF token the API expects; so an expired or revoked session is noticed on the next click.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from conveyor import flags
from conveyor.api.models.users import User
from conveyor.api.permissions import Permission, allowed
from conveyor.client import Calls
from conveyor.web.gateway import ApiSession, Gateway, SignInRequired

CONSOLE_COOKIE = "conveyor_console"
SIGN_IN_CSRF_COOKIE = "conveyor_sign_in_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(Exception):
    """A form without this session's token: forged, or from a page older than the session."""


@dataclass
class Viewer:
    user: User
    csrf_token: str
    expires_at: datetime
    api: ApiSession

    def can(self, permission: str) -> bool:
        return allowed(self.user.role, Permission(permission))

    def flag(self, key: str) -> bool:
        """A feature flag's value for this user, evaluated at each request."""
        user = self.user
        return flags.enabled(flags.Flag(key), user_id=user.id, role=user.role, email=user.email)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def gateway(request: Request) -> Gateway:
    gw = request.app.state.gateway
    assert isinstance(gw, Gateway)
    return gw


async def submitted_token(request: Request) -> str:
    """The CSRF token a change carries: HTMX sends a header, plain forms a hidden field."""
    if token := request.headers.get(CSRF_HEADER):
        return token
    form = await request.form()  # cached by Starlette: the route can read the form again
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


def tokens_match(sent: str, expected: str) -> bool:
    return bool(sent) and bool(expected) and hmac.compare_digest(sent, expected)


async def get_viewer(request: Request) -> Viewer:
    session_id = request.cookies.get(CONSOLE_COOKIE)
    if not session_id:
        raise SignInRequired("not signed in")
    api = gateway(request).session(session_id, client=client_address(request))
    session = await api.call(Calls.current_session())
    api.csrf_token = session.csrf_token
    if request.method not in SAFE_METHODS and not tokens_match(
        await submitted_token(request), session.csrf_token
    ):
        raise CsrfRejected()
    return Viewer(user=session.user, csrf_token=session.csrf_token, expires_at=session.expires_at, api=api)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(24)


def local_path(candidate: str | None, default: str = "/") -> str:
    """``candidate`` if it is a path on this site, else ``default``: never an open redirect."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    if candidate.startswith(("/sign-in", "/sign-out")):
        return default
    return candidate


def return_path(request: Request) -> str:
    """Where to come back to after signing in: this page, or for a form the page it was on."""
    if request.method in SAFE_METHODS and not request.headers.get("HX-Request"):
        query = f"?{request.url.query}" if request.url.query else ""
        return local_path(request.url.path + query)
    referer = urlsplit(request.headers.get("referer") or request.headers.get("HX-Current-URL") or "")
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/"
    return local_path(referer.path + (f"?{referer.query}" if referer.query else ""))


def sign_in_url(request: Request) -> str:
    return "/sign-in?next=" + quote(return_path(request), safe="/")
