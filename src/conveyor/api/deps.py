"""Request dependencies, explicit through ``Annotated`` types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request

from conveyor.api.permissions import Permission, allowed
from conveyor.api.problems import Problem
from conveyor.engine.jobs import Jobs
from conveyor.engine.schedules import Schedules
from conveyor.settings import Settings
from conveyor.store.database import Pool
from conveyor.store.users import Principal, authenticate


def _state(request: Request, name: str) -> Any:
    return getattr(request.app.state, name)


def get_jobs(request: Request) -> Jobs:
    jobs: Jobs = _state(request, "jobs")
    return jobs


def get_schedules(request: Request) -> Schedules:
    schedules: Schedules = _state(request, "schedules")
    return schedules


def get_pool(request: Request) -> Pool:
    pool: Pool = _state(request, "pool")
    return pool


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = _state(request, "settings")
    return settings


async def get_principal(request: Request, pool: Annotated[Pool, Depends(get_pool)]) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise Problem(
            401,
            "missing API key: send 'Authorization: Bearer <key>'",
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
    structlog.contextvars.bind_contextvars(user_id=principal.user_id)
    return principal


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
SchedulesDep = Annotated[Schedules, Depends(get_schedules)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
PoolDep = Annotated[Pool, Depends(get_pool)]
CanReadJobs = Annotated[Principal, Depends(require(Permission.jobs_read))]
CanWriteJobs = Annotated[Principal, Depends(require(Permission.jobs_write))]
CanReadSchedules = Annotated[Principal, Depends(require(Permission.schedules_read))]
CanWriteSchedules = Annotated[Principal, Depends(require(Permission.schedules_write))]
CanWriteQueues = Annotated[Principal, Depends(require(Permission.queues_write))]
