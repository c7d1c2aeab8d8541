"""The RBAC matrix, generated from the route table: every /api/v1 route, every role, and
anonymous. A route added without a permission fails here."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from conveyor.api.app import create_app
from conveyor.api.permissions import ROLE_PERMISSIONS, Permission
from conveyor.settings import load_settings
from conveyor.store.database import Pool
from tests.conftest import issue_key
from tests.support import Process


def permission_of(route: APIRoute) -> Permission | None:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        found = getattr(dependency.call, "permission", None)
        if found is not None:
            return Permission(found)
        pending.extend(dependency.dependencies)
    return None


def api_routes() -> list[APIRoute]:
    """Every APIRoute, looking inside included routers (FastAPI keeps them as wrappers)."""
    found, pending = [], list(create_app(load_settings(env="test"), "postgresql://unused").routes)
    while pending:
        route = pending.pop(0)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            pending.extend(inner.routes)
        elif isinstance(route, APIRoute):
            found.append(route)
    return found


ROUTES = [
    (method, route.path, permission_of(route))
    for route in api_routes()
    if route.path.startswith("/api/v1/") and route.path.startswith("/api/v1/")
    for method in sorted(route.methods or ())
]


def test_every_api_route_declares_a_permission() -> None:
    assert len(ROUTES) > 20
    assert [f"{m} {p}" for m, p, permission in ROUTES if permission is None] == []


@pytest.fixture
async def keys(pool: Pool, clean_db: str) -> dict[str, str]:
    # User 1 with key 1 is a bystander, so routes that act on "1" never touch the callers.
    await issue_key(pool, "bystander@example.com", "viewer")
    return {
        role: await issue_key(pool, f"{role}@example.com", role) for role in ("admin", "operator", "viewer")
    }


def call(http: httpx.Client, method: str, path: str, key: str | None) -> int:
    # One client for the ~250 calls (httpx.request builds one, ~20 ms of CPU, per call), and
    # each call on its own: no cookie an earlier answer set goes with it.
    http.cookies.clear()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body: Any = {} if method in ("POST", "PATCH", "PUT") else None
    return http.request(method, re.sub(r"\{[^}]+\}", "1", path), json=body, headers=headers).status_code


def test_matrix(api_server: Process, keys: dict[str, str]) -> None:
    failures = []
    http = httpx.Client(base_url=api_server.base_url, timeout=10)
    for method, path, permission in ROUTES:
        assert permission is not None
        anonymous = call(http, method, path, None)
        if permission is Permission.public and anonymous in (401, 403):
            failures.append(f"anonymous {method} {path}: {anonymous}, expected access (public)")
        if permission is not Permission.public and anonymous != 401:
            failures.append(f"anonymous {method} {path} was not refused with 401")
        for role, key in keys.items():
            status = call(http, method, path, key)
            allowed = permission in ROLE_PERMISSIONS[role]  # type: ignore[index]
            if allowed and status in (401, 403):
                failures.append(f"{role} {method} {path}: {status}, expected access ({permission})")
            if not allowed and status != 403:
                failures.append(f"{role} {method} {path}: {status}, expected 403 ({permission})")
    http.close()
    assert failures == []
