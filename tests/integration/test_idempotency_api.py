"""Idempotency-Key on every creating POST: replay, conflict on a different body, concurrency."""

from __future__ import annotations

import concurrent.futures

import httpx
import pytest

from tests.integration.test_api import assert_problem
from tests.support import Process


@pytest.fixture
def http(api_server: Process, admin_key: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{api_server.base_url}/api/v1", headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
    )


@pytest.mark.parametrize(
    ("path", "body", "listing"),
    [
        ("/schedules", {"name": "nightly", "cron": "0 3 * * *", "job": {"type": "noop"}}, "/schedules"),
        ("/users", {"email": "new@example.com", "role": "viewer"}, "/users"),
        ("/me/api-keys", {"name": "laptop"}, "/me/api-keys"),
    ],
)
def test_repeat_replays_and_different_body_is_422(
    http: httpx.Client, path: str, body: dict, listing: str
) -> None:
    before = http.get(listing).json()
    count = len(before["items"] if isinstance(before, dict) else before)
    key = {"Idempotency-Key": f"create-{path}"}
    first = http.post(path, json=body, headers=key)
    again = http.post(path, json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    after = http.get(listing).json()
    assert len(after["items"] if isinstance(after, dict) else after) == count + 1
    changed = {**body, "name": "something else"} if "name" in body else {**body, "email": "other@example.com"}
    assert_problem(http.post(path, json=changed, headers=key), 422, "Idempotency-Key")


def test_failed_request_frees_its_key(http: httpx.Client) -> None:
    key = {"Idempotency-Key": "bad-then-good"}
    assert (
        http.post(
            "/schedules", json={"name": "x", "cron": "nope", "job": {"type": "noop"}}, headers=key
        ).status_code
        == 422
    )
    good = http.post(
        "/schedules", json={"name": "x", "cron": "@every 1m", "job": {"type": "noop"}}, headers=key
    )
    assert good.status_code == 201


def test_concurrent_identical_creates_make_one_resource(http: httpx.Client) -> None:
    keys_before = len(http.get("/me/api-keys").json())

    def post(_: int) -> int:
        return http.post(
            "/me/api-keys", json={"name": "ci"}, headers={"Idempotency-Key": "one-key"}
        ).status_code

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(post, range(12)))
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    assert len(http.get("/me/api-keys").json()) == keys_before + 1
