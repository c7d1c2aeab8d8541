"""Per-user limits on what a user keeps: schedules and live API keys (CONVEYOR_MAX_*)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conveyor.store.database import Pool
from tests.conftest import issue_key
from tests.integration.test_api import assert_problem
from tests.support import Process, free_port, process_env

LIMITS = {"CONVEYOR_MAX_SCHEDULES_PER_USER": "2", "CONVEYOR_MAX_API_KEYS_PER_USER": "2"}


@pytest.fixture(scope="module")
def api(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """One API with tiny limits for the module (each test starts from a clean database)."""
    port = free_port()
    proc = Process(
        ["api", "--port", str(port)],
        process_env(database_url, **LIMITS),
        tmp_path_factory.mktemp("quota-api") / "api.log",
        port=port,
    ).start()
    proc.wait_ready()
    yield proc
    proc.stop()


def schedule(n: int) -> dict[str, Any]:
    return {"name": f"s{n}", "cron": "@every 1m", "job": {"type": "noop"}}


async def test_schedules_per_user_are_limited(api: Process, pool: Pool, clean_db: str) -> None:
    operator = await issue_key(pool, "ops@example.com", "operator")
    other = await issue_key(pool, "other@example.com", "operator")
    with httpx.Client(
        base_url=f"{api.base_url}/api/v1", headers={"Authorization": f"Bearer {operator}"}
    ) as http:
        first = http.post("/schedules", json=schedule(1)).json()
        assert http.post("/schedules", json=schedule(2)).status_code == 201
        body = assert_problem(http.post("/schedules", json=schedule(3)), 409)
        assert body["type"] == "urn:conveyor:problem:limit-reached"
        assert "CONVEYOR_MAX_SCHEDULES_PER_USER" in body["detail"]
        assert [s["name"] for s in http.get("/schedules").json()["items"]] == ["s1", "s2"]
        assert http.delete(f"/schedules/{first['id']}").status_code == 204
        assert http.post("/schedules", json=schedule(3)).status_code == 201
    created = httpx.post(
        f"{api.base_url}/api/v1/schedules", json=schedule(4), headers={"Authorization": f"Bearer {other}"}
    )
    assert created.status_code == 201  # each user has their own budget


async def test_racing_creations_stay_within_the_limit(api: Process, pool: Pool, clean_db: str) -> None:
    key = await issue_key(pool, "racer@example.com", "operator")

    def create(n: int) -> int:
        return httpx.post(
            f"{api.base_url}/api/v1/schedules",
            json=schedule(n),
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        ).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as threads:
        statuses = sorted(threads.map(create, range(8)))
    assert statuses == [201, 201] + [409] * 6


async def test_live_api_keys_per_user_are_limited(api: Process, pool: Pool, clean_db: str) -> None:
    admin = await issue_key(pool, "admin@example.com", "admin")  # the first live key
    with httpx.Client(
        base_url=f"{api.base_url}/api/v1", headers={"Authorization": f"Bearer {admin}"}
    ) as http:
        second = http.post("/me/api-keys", json={"name": "ci"}).json()
        body = assert_problem(http.post("/me/api-keys", json={"name": "one too many"}), 409)
        assert "CONVEYOR_MAX_API_KEYS_PER_USER" in body["detail"]
        assert len(http.get("/me/api-keys").json()) == 2
        # Rotating replaces a key (no new live one); revoking frees a place.
        assert http.post(f"/me/api-keys/{second['id']}/rotate").status_code == 201
        rotated = [
            k for k in http.get("/me/api-keys").json() if k["revoked_at"] is None and k["name"] == "ci"
        ]
        assert http.delete(f"/me/api-keys/{rotated[0]['id']}").status_code == 200
        assert http.post("/me/api-keys", json={"name": "ci again"}).status_code == 201
        # An admin issuing keys for someone counts against that user's budget.
        user = http.post("/users", json={"email": "bob@example.com", "role": "viewer"}).json()
        issued = [
            http.post(f"/users/{user['id']}/api-keys", json={"name": f"k{n}"}).status_code for n in range(3)
        ]
        assert issued == [201, 201, 409]
