"""Response caching: analytics answers reused for a short time (shared through Redis when
configured, per process otherwise, never across roles), and no response that carries a secret
is ever stored by a cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from conveyor.engine.jobs import Jobs
from conveyor.engine.models import JobSpec
from conveyor.store.database import Pool
from tests.conftest import issue_key
from tests.support import Process, all_ready, free_port

CACHED = {"CONVEYOR_ANALYTICS_CACHE_SECONDS": "300"}


def window() -> dict[str, str]:
    # An explicit window holding every job the test makes: the query, and so the cache key, is
    # the same on each call (and unlike any other test's, as it is taken from the clock).
    now = datetime.now(UTC)
    return {"since": (now - timedelta(hours=1)).isoformat(), "until": (now + timedelta(hours=1)).isoformat()}


def enqueued(api: Process, key: str, params: dict[str, Any]) -> int:
    response = httpx.get(
        f"{api.base_url}/api/v1/analytics", params=params, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    return sum(row["enqueued"] for row in response.json()["breakdown"] if row["type"] == "echo")


async def answered_then_outdated(jobs: Jobs, api: Process, key: str) -> dict[str, str]:
    """Ask ``api`` for the analytics of a window holding one job, then add two more: the query,
    whose true answer is now 3 where a cached one says 1."""
    params = window()
    await jobs.enqueue([JobSpec(type="echo")])
    assert enqueued(api, key, params) == 1
    await jobs.enqueue([JobSpec(type="echo")] * 2)
    return params


async def test_analytics_are_shared_through_redis_and_never_across_roles(
    spawn: Any, pool: Pool, jobs: Jobs, redis_url: str
) -> None:
    env = {**CACHED, "CONVEYOR_REDIS_URL": redis_url}
    one, two = spawn("api", env=env), spawn("api", env=env)
    all_ready(one, two)
    admin = await issue_key(pool, "admin@example.com", "admin")
    viewer = await issue_key(pool, "viewer@example.com", "viewer")
    params = await answered_then_outdated(jobs, one, admin)
    assert enqueued(two, admin, params) == 1, "the other replica answers from the shared cache"
    assert enqueued(two, viewer, params) == 3, "another role never gets the admin's answer"
    assert enqueued(one, admin, {**params, "bucket_seconds": 3600}) == 3, "another query is computed"


async def test_without_redis_each_process_caches_its_own_and_a_dead_redis_is_no_error(
    spawn: Any, pool: Pool, jobs: Jobs
) -> None:
    one, two = spawn("api", env=CACHED), spawn("api", env=CACHED)
    unreachable = spawn("api", env={**CACHED, "CONVEYOR_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    all_ready(one, two, unreachable)
    admin = await issue_key(pool, "admin@example.com", "admin")
    params = await answered_then_outdated(jobs, one, admin)
    assert enqueued(one, admin, params) == 1, "the same process reuses its answer"
    assert enqueued(two, admin, params) == 3, "another process has a cache of its own"
    assert enqueued(unreachable, admin, params) == 3, "Redis down: computed, not refused"


# Every operation whose answer holds a secret: a created or rotated API key, a webhook's signing
# secret, a session's CSRF token. The test below finds them in the contract, so a new one fails it
# until it is listed here (and checked).
SECRET_BEARING = {
    ("post", "/api/v1/users/{user_id}/api-keys"),
    ("post", "/api/v1/me/api-keys"),
    ("post", "/api/v1/me/api-keys/{key_id}/rotate"),
    ("post", "/api/v1/webhooks"),
    ("get", "/api/v1/webhooks/{endpoint_id}/secret"),
    ("post", "/api/v1/webhooks/{endpoint_id}/rotate-secret"),
    ("post", "/api/v1/sessions"),
    ("get", "/api/v1/sessions/current"),
}
SECRET_FIELDS = {"secret", "csrf_token"}


def secret_bearing(spec: dict[str, Any]) -> set[tuple[str, str]]:
    schemas = spec["components"]["schemas"]
    with_secret = {
        name for name, schema in schemas.items() if SECRET_FIELDS & set(schema.get("properties", {}))
    }
    found = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                ref = (
                    response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                )
                if status.startswith("2") and ref.rsplit("/", 1)[-1] in with_secret:
                    found.add((method, path))
    return found


async def test_every_response_carrying_a_secret_is_no_store(
    api_server: Process, pool: Pool, clean_db: str
) -> None:
    admin = await issue_key(pool, "admin@example.com", "admin")
    async with httpx.AsyncClient(
        base_url=f"{api_server.base_url}/api/v1", headers={"Authorization": f"Bearer {admin}"}
    ) as http:
        assert secret_bearing((await http.get("/openapi.json")).json()) == SECRET_BEARING
        password = "correct horse battery"
        user = (
            await http.post(
                "/users", json={"email": "ops@example.com", "role": "operator", "password": password}
            )
        ).json()
        key = (await http.post("/me/api-keys", json={"name": "ci"})).json()
        hook = (
            await http.post("/webhooks", json={"url": "https://8.8.8.8/hooks", "events": ["job.dead"]})
        ).json()
        answers = {
            ("post", "/api/v1/users/{user_id}/api-keys"): await http.post(
                f"/users/{user['id']}/api-keys", json={"name": "deploy"}
            ),
            ("post", "/api/v1/me/api-keys"): await http.post("/me/api-keys", json={"name": "laptop"}),
            ("post", "/api/v1/me/api-keys/{key_id}/rotate"): await http.post(
                f"/me/api-keys/{key['id']}/rotate"
            ),
            ("post", "/api/v1/webhooks"): await http.post(
                "/webhooks", json={"url": "https://8.8.8.8/other", "events": ["job.dead"]}
            ),
            ("get", "/api/v1/webhooks/{endpoint_id}/secret"): await http.get(
                f"/webhooks/{hook['id']}/secret"
            ),
            ("post", "/api/v1/webhooks/{endpoint_id}/rotate-secret"): await http.post(
                f"/webhooks/{hook['id']}/rotate-secret"
            ),
        }
    async with httpx.AsyncClient(base_url=f"{api_server.base_url}/api/v1") as browser:
        signed_in = await browser.post("/sessions", json={"email": "ops@example.com", "password": password})
        answers[("post", "/api/v1/sessions")] = signed_in
        # Sent by hand: the cookie is Secure, and this loopback API is plain HTTP.
        cookie = f"conveyor_session={signed_in.cookies['conveyor_session']}"
        answers[("get", "/api/v1/sessions/current")] = await browser.get(
            "/sessions/current", headers={"Cookie": cookie}
        )
    assert set(answers) == SECRET_BEARING
    for operation, response in answers.items():
        assert response.is_success, (operation, response.text)
        assert SECRET_FIELDS & set(response.json()), operation
        assert response.headers["cache-control"] == "no-store", operation
