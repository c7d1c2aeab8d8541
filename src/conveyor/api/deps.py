"""Request dependencies, explicit through ``Annotated`` types."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import structlog
from fastapi import Depends, Request

from conveyor.api.cache import ResponseCache
from conveyor.api.permissions import Permission, allowed
from conveyor.api.problems import Problem
from conveyor.api.ratelimit import RateLimiter
from conveyor.engine.jobs import Jobs
from conveyor.engine.queues import Queues
from conveyor.engine.schedules import Schedules
from conveyor.settings import Settings
from conveyor.store.api_keys import authenticate
from conveyor.store.database import Pool
from conveyor.store.sessions import authenticate_session
from conveyor.store.users import Principal

T = TypeVar("T")


# Dependencies here are ``async def`` even where they do not await: FastAPI runs a plain
# ``def`` dependency in its thread pool, a thread hop (and GIL hand-offs) on every request
# for nothing; under the Locust mix it added ~25 ms to the median (docs/benchmarks.md).


def _from_app_state(name: str, kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency returning the service the app's lifespan stored under ``name``."""

    async def get(request: Request) -> T:
        service = getattr(request.app.state, name)
        assert isinstance(service, kind)
        return service

    return get


get_jobs = _from_app_state("jobs", Jobs)
get_queues = _from_app_state("queues", Queues)
get_schedules = _from_app_state("schedules", Schedules)
get_settings = _from_app_state("settings", Settings)
get_analytics_cache = _from_app_state("analytics_cache", ResponseCache)


async def get_pool(request: Request) -> Pool:
    pool: Pool = request.app.state.pool  # a generic alias: isinstance cannot check it
    return pool


SESSION_COOKIE = "conveyor_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _from_key(pool: Pool, header: str) -> Principal:
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise Problem(
            401,
            "send 'Authorization: Bearer <key>'",
            slug="unauthenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await authenticate(pool, key.strip())
    if principal is None:
        raise Problem(
            401,
            "invalid, expired or revoked API key",
            slug="unauthenticated",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return principal


async def _from_session(request: Request, pool: Pool, session_id: str) -> Principal:
    found = await authenticate_session(pool, session_id)
    if found is None:
        raise Problem(401, "session expired or signed out: sign in again", slug="unauthenticated")
    principal, _ = found
    # Cookies ride along on cross-site requests; the token only our own pages can read.
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
        request.headers.get(CSRF_HEADER, ""), principal.csrf_token or ""
    ):
        raise Problem(403, f"missing or wrong {CSRF_HEADER} header for this session", slug="csrf")
    return principal


def _failure_key(request: Request) -> str:
    # The TCP peer, or the client a trusted proxy names (CONVEYOR_TRUSTED_PROXIES: uvicorn
    # rewrites the peer from X-Forwarded-For only for those).
    return f"auth-failures:{request.client.host if request.client else 'unknown'}"


async def refuse_while_failing(request: Request) -> None:
    """429 for a client address that used up its failed-authentication budget: its credentials
    are not even checked until the window passes, so guessing (password spraying, key
    probing) from one address learns nothing more."""
    limiter: RateLimiter = request.app.state.auth_failure_limiter
    verdict = await limiter.refusal(_failure_key(request))
    if verdict is not None:
        raise Problem(
            429,
            f"too many failed sign-ins or invalid credentials from this address; retry in "
            f"{verdict.reset_seconds}s",
            slug="rate-limited",
            headers=verdict.headers(),
        )


async def count_failure(request: Request) -> None:
    limiter: RateLimiter = request.app.state.auth_failure_limiter
    await limiter.hit(_failure_key(request))


async def get_principal(request: Request, pool: Annotated[Pool, Depends(get_pool)]) -> Principal:
    """The caller, from an API key (Authorization header) or a console session cookie."""
    header = request.headers.get("authorization")
    session_id = request.cookies.get(SESSION_COOKIE)
    if header is None and session_id is None:
        raise Problem(
            401,
            "missing credentials: send 'Authorization: Bearer <key>' or sign in",
            slug="unauthenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    await refuse_while_failing(request)
    try:
        principal = (
            await _from_key(pool, header)
            if header is not None
            else await _from_session(request, pool, session_id or "")
        )
    except Problem as exc:
        if exc.status == 401:
            await count_failure(request)
        raise
    structlog.contextvars.bind_contextvars(user_id=principal.user_id)
    request.state.principal = principal  # read by the audit middleware
    await enforce_rate_limit(request, principal.rate_limit_key)
    return principal


async def enforce_rate_limit(request: Request, key: str, limiter: RateLimiter | None = None) -> None:
    limiter = limiter or request.app.state.rate_limiter
    assert limiter is not None
    verdict = await limiter.hit(key)
    if verdict is None:
        return
    request.state.rate_limit_headers = verdict.headers()  # added to the response by middleware
    if not verdict.allowed:
        raise Problem(
            429,
            f"rate limit of {verdict.limit} requests exceeded; retry in {verdict.reset_seconds}s",
            slug="rate-limited",
            headers=verdict.headers(),
        )


def public() -> Callable[..., Any]:
    """For the few routes that need no credentials (signing in)."""

    async def anyone() -> None:
        return None

    anyone.permission = Permission.public  # type: ignore[attr-defined]  # read by the RBAC tests
    return anyone


def require(permission: Permission) -> Callable[..., Any]:
    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not allowed(principal.role, permission):
            raise Problem(
                403, f"role {principal.role!r} lacks permission {permission.value!r}", slug="forbidden"
            )
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by the RBAC tests
    return check


JobsDep = Annotated[Jobs, Depends(get_jobs)]
QueuesDep = Annotated[Queues, Depends(get_queues)]
PoolDep = Annotated[Pool, Depends(get_pool)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SchedulesDep = Annotated[Schedules, Depends(get_schedules)]
AnalyticsCacheDep = Annotated[ResponseCache, Depends(get_analytics_cache)]
CanReadJobs = Annotated[Principal, Depends(require(Permission.jobs_read))]
CanWriteJobs = Annotated[Principal, Depends(require(Permission.jobs_write))]
CanReadSchedules = Annotated[Principal, Depends(require(Permission.schedules_read))]
CanWriteSchedules = Annotated[Principal, Depends(require(Permission.schedules_write))]
CanReadQueues = Annotated[Principal, Depends(require(Permission.queues_read))]
CanWriteQueues = Annotated[Principal, Depends(require(Permission.queues_write))]
CanReadUsers = Annotated[Principal, Depends(require(Permission.users_read))]
CanWriteUsers = Annotated[Principal, Depends(require(Permission.users_write))]
CanReadWebhooks = Annotated[Principal, Depends(require(Permission.webhooks_read))]
CanWriteWebhooks = Annotated[Principal, Depends(require(Permission.webhooks_write))]
CanReadAnalytics = Annotated[Principal, Depends(require(Permission.analytics_read))]
CanReadAudit = Annotated[Principal, Depends(require(Permission.audit_read))]
Self = Annotated[Principal, Depends(require(Permission.self_service))]
Public = Annotated[None, Depends(public())]
