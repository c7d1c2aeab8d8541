"""Idempotency-Key on every creating POST: replay, conflict on a different body, concurrency."""

from __future__ import annotations

import concurrent.futures
from typing import Any

import httpx
import psycopg
import psycopg.rows
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
    http: httpx.Client, path: str, body: dict[str, Any], listing: str
) -> None:
    before = http.get(listing).json()
    count = len(before["items"] if isinstance(before, dict) else before)
    key = {"Idempotency-Key": f"create-{path}"}
    first = http.post(path, json=body, headers=key)
    again = http.post(path, json=body, headers=key)
    assert first.status_code == again.status_code == 201
    # An API key's secret is only ever stored hashed: a replay cannot show it again.
    expected = {**first.json(), "secret": None} if "secret" in first.json() else first.json()
    assert again.json() == expected and again.headers["idempotent-replayed"] == "true"
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


def stored_idempotency_rows(database_url: str) -> list[dict[str, str]]:
    """Every stored row, each column as text (binary ones decoded), so a secret anywhere shows."""
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        rows = conn.execute("SELECT * FROM conveyor.idempotent_requests").fetchall()
    return [
        {
            k: bytes(v).decode(errors="replace") if isinstance(v, bytes | memoryview) else str(v)
            for k, v in row.items()
        }
        for row in rows
    ]


@pytest.mark.parametrize("path", ["/me/api-keys", "/users/{admin}/api-keys", "/webhooks"])
def test_no_secret_rests_in_the_idempotency_store(http: httpx.Client, database_url: str, path: str) -> None:
    admin = http.get("/me").json()["id"]
    body = {"url": "https://8.8.8.8/hook", "events": ["job.dead"]} if path == "/webhooks" else {"name": "ci"}
    created = http.post(path.format(admin=admin), json=body, headers={"Idempotency-Key": f"secret-{path}"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    [row] = stored_idempotency_rows(database_url)
    assert row["status"] == "201"  # settled before the response was sent
    assert not [column for column, value in row.items() if secret in value]


def test_replay_after_revocation_reads_revoked_without_the_secret(http: httpx.Client) -> None:
    key = {"Idempotency-Key": "revoke-then-replay"}
    first = http.post("/me/api-keys", json={"name": "deploy"}, headers=key).json()
    assert first["secret"] and first["revoked_at"] is None
    assert http.delete(f"/me/api-keys/{first['id']}").status_code == 200
    again = http.post("/me/api-keys", json={"name": "deploy"}, headers=key)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first["id"]
    assert again.json()["revoked_at"] is not None and again.json()["secret"] is None


def test_replay_answers_the_current_state_or_410_once_deleted(http: httpx.Client) -> None:
    key = {"Idempotency-Key": "webhook-lifecycle"}
    body = {"url": "https://8.8.8.8/hook", "events": ["job.dead"]}
    first = http.post("/webhooks", json=body, headers=key).json()
    http.patch(f"/webhooks/{first['id']}", json={"enabled": False})
    rotated = http.post(f"/webhooks/{first['id']}/rotate-secret").json()
    again = http.post("/webhooks", json=body, headers=key).json()
    assert again["enabled"] is False and again["secret"] == rotated["secret"] != first["secret"]
    assert http.delete(f"/webhooks/{first['id']}").status_code == 204
    assert_problem(http.post("/webhooks", json=body, headers=key), 410)


def test_batch_replay_shows_the_jobs_as_they_are_now(http: httpx.Client) -> None:
    key = {"Idempotency-Key": "batch-then-cancel"}
    body: dict[str, Any] = {"jobs": [{"type": "noop", "run_at": "2099-01-01T00:00:00Z"}, {"type": "noop"}]}
    first = http.post("/jobs/batch", json=body, headers=key).json()
    cancelled = first["items"][0]["id"]
    assert http.post(f"/jobs/{cancelled}/cancel").status_code == 200
    again = http.post("/jobs/batch", json=body, headers=key)
    assert again.headers["idempotent-replayed"] == "true"
    assert [j["id"] for j in again.json()["items"]] == [j["id"] for j in first["items"]]
    assert again.json()["items"][0]["state"] == "cancelled" and again.json()["created"] == [True, True]


def test_schedule_replay_follows_updates(http: httpx.Client) -> None:
    key = {"Idempotency-Key": "schedule-then-rename"}
    body = {"name": "nightly", "cron": "0 3 * * *", "job": {"type": "noop"}}
    first = http.post("/schedules", json=body, headers=key).json()
    http.patch(f"/schedules/{first['id']}", json={"name": "renamed", "enabled": False})
    again = http.post("/schedules", json=body, headers=key).json()
    assert (again["id"], again["name"], again["enabled"]) == (first["id"], "renamed", False)
    assert http.delete(f"/schedules/{first['id']}").status_code == 204
    assert_problem(http.post("/schedules", json=body, headers=key), 410)
