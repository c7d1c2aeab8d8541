"""/api/v1/sessions: console sign-in with a password, a session cookie and a CSRF token.

The cookie (``conveyor_session``) is HttpOnly, Secure and SameSite=Lax; state-changing
requests made with it must also carry the session's CSRF token in ``X-CSRF-Token``. Sessions
expire after ``CONVEYOR_SESSION_TTL_SECONDS``; signing out deletes them at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from conveyor.api import API_PREFIX
from conveyor.api.deps import (
    SESSION_COOKIE,
    PoolDep,
    Public,
    Self,
    SettingsDep,
    count_failure,
    enforce_rate_limit,
    refuse_while_failing,
)
from conveyor.api.models.sessions import Credentials, Session
from conveyor.api.models.users import User
from conveyor.api.oidc import OidcClient, OidcError
from conveyor.api.problems import PROBLEM_RESPONSES, Problem
from conveyor.api.ratelimit import RateLimiter
from conveyor.settings import Settings
from conveyor.store import sessions, users

router = APIRouter(prefix=API_PREFIX, tags=["sessions"], responses=PROBLEM_RESPONSES)
# Per email address: slows password guessing without letting anyone lock a user out for long.
# Guessing across many emails (password spraying) meets the per-address limit on failures,
# CONVEYOR_AUTH_FAILURE_LIMIT (api/deps.py).
LOGIN_LIMIT = "10/minute;100/hour"


# The session cookie is part of the contract: clients (the console) read it from the answer,
# and an API mock generated from the contract (`make mock-api`) can then sign a console in.
SESSION_SET_COOKIE: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Signed in; the session id is in the cookie, the CSRF token in the body.",
        "headers": {
            "Set-Cookie": {
                "description": f"`{SESSION_COOKIE}`: HttpOnly, Secure (CONVEYOR_COOKIE_SECURE), "
                "SameSite=Lax, for CONVEYOR_SESSION_TTL_SECONDS.",
                "schema": {"type": "string"},
                "example": f"{SESSION_COOKIE}=example-session-id; HttpOnly; Max-Age=28800; Path=/; "
                "SameSite=lax; Secure",
            }
        },
    }
}


async def _start_session(
    request: Request, response: Response, pool: PoolDep, settings: Settings, user_id: int
) -> tuple[str, datetime]:
    """Create a session and set its cookie on ``response``; return (CSRF token, expiry)."""
    session_id, csrf, expires_at = await sessions.create_session(
        pool,
        user_id,
        settings.session_ttl_seconds,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(settings.session_ttl_seconds),
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    return csrf, expires_at


def _login_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.login_limiter
    return limiter


@router.post("/sessions", status_code=201, response_model=Session, responses=SESSION_SET_COOKIE)
async def sign_in(
    body: Credentials, request: Request, response: Response, pool: PoolDep, settings: SettingsDep, _: Public
) -> Session:
    email = body.email.lower()
    await refuse_while_failing(request)
    await enforce_rate_limit(request, f"login:{email}", _login_limiter(request))
    user = await sessions.login(pool, email, body.password)
    if user is None:
        await count_failure(request)
        raise Problem(401, "wrong email or password", slug="unauthenticated")
    csrf, expires_at = await _start_session(request, response, pool, settings, user["id"])
    return Session(user=User.model_validate(user), csrf_token=csrf, expires_at=expires_at)


@router.get("/sessions/current", response_model=Session)
async def current_session(request: Request, pool: PoolDep, principal: Self) -> Session:
    """The signed-in session (for a console page to recover its CSRF token after a reload)."""
    found = await sessions.authenticate_session(pool, request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        raise Problem(404, "no session: this request was not made with a session cookie", slug="not-found")
    session, expires_at = found
    user = await users.get_user(pool, principal.user_id)
    return Session(user=User.model_validate(user), csrf_token=session.csrf_token or "", expires_at=expires_at)


@router.delete("/sessions/current", status_code=204)
async def sign_out(request: Request, pool: PoolDep, settings: SettingsDep, _: Self) -> Response:
    response = Response(status_code=204)
    if session_id := request.cookies.get(SESSION_COOKIE):
        await sessions.end_session(pool, session_id)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.cookie_secure, httponly=True, samesite="lax"
    )
    return response


def _oidc(settings: Settings) -> OidcClient:
    client = OidcClient.from_settings(settings)
    if client is None:
        raise Problem(
            404, "OpenID Connect sign-in is not configured (CONVEYOR_OIDC_ISSUER)", slug="not-found"
        )
    return client


def _local_path(next_path: str) -> str:
    # Only paths on this site: an absolute or scheme-relative URL would be an open redirect.
    if not next_path.startswith("/") or next_path.startswith("//") or "\\\\" in next_path:
        raise Problem(
            422,
            "next: must be a path on this site, like /jobs",
            slug="validation",
            errors=[{"field": "next", "message": "must be a local path"}],
        )
    return next_path


@router.get("/sessions/oidc/start", status_code=302, response_class=RedirectResponse)
async def oidc_start(
    pool: PoolDep, settings: SettingsDep, _: Public, next: Annotated[str, Query(max_length=500)] = "/"
) -> RedirectResponse:
    """Send the browser to the identity provider to sign in."""
    client = _oidc(settings)
    try:
        pending = await client.begin()
    except (OidcError, httpx.HTTPError) as exc:
        raise Problem(503, f"identity provider unavailable: {exc}", slug="oidc-unavailable") from None
    await sessions.start_oidc_login(
        pool,
        state=pending.state,
        nonce=pending.nonce,
        code_verifier=pending.code_verifier,
        next_path=_local_path(next),
    )
    return RedirectResponse(pending.authorize_url, status_code=302)


@router.get("/sessions/oidc/callback", status_code=303, response_class=RedirectResponse)
async def oidc_callback(
    request: Request,
    pool: PoolDep,
    settings: SettingsDep,
    _: Public,
    state: Annotated[str, Query(max_length=200)],
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Where the identity provider sends the browser back: verify, then start a session."""
    client = _oidc(settings)
    pending = await sessions.finish_oidc_login(pool, state)
    if pending is None:
        raise Problem(400, "unknown or expired sign-in attempt: start again", slug="oidc-failed")
    if error or not code:
        raise Problem(
            400, f"the identity provider did not sign you in: {error or 'no code'}", slug="oidc-failed"
        )
    try:
        claims = await client.finish(code, nonce=pending["nonce"], code_verifier=pending["code_verifier"])
    except OidcError as exc:
        raise Problem(400, str(exc), slug="oidc-failed") from None
    email = str(claims["email"]).lower()
    user = await sessions.user_for_sso(pool, email, settings.oidc_default_role, claims.get("name"))
    if user is None:
        raise Problem(403, f"the account {email} is disabled", slug="forbidden")
    response = RedirectResponse(pending["next_path"], status_code=303)
    await _start_session(request, response, pool, settings, user["id"])
    return response
