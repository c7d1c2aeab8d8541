"""The jobs and schedules API over real HTTP against a real API process."""

from __future__ import annotations

import concurrent.futures
from typing import Any

import httpx
import pytest

from conveyor.store.database import Pool
from tests.conftest import issue_key
from tests.support import Process

PROBLEM = "application/problem+json"


@pytest.fixture
def http(api_server: Process, admin_key: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{api_server.base_url}/api/v1", headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
    )


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


def test_submit_read_and_list(http: httpx.Client) -> None:
    created = http.post("/jobs", json={"type": "echo", "payload": {"a": 1}, "queue": "q1", "priority": 3})
    assert created.status_code == 201
    job = created.json()
    assert created.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert {k: job[k] for k in ("type", "state", "queue", "priority", "attempts")} == {
        "type": "echo",
        "state": "queued",
        "queue": "q1",
        "priority": 3,
        "attempts": 0,
    }
    for key in ("id", "created_at", "started_at", "finished_at", "result", "last_error", "payload"):
        assert key in job
    assert http.get(f"/jobs/{job['id']}").json()["id"] == job["id"]
    events = http.get(f"/jobs/{job['id']}/events").json()
    assert [e["to_state"] for e in events] == ["queued"]


def test_list_filters_and_cursor_pagination(http: httpx.Client) -> None:
    batch = http.post(
        "/jobs/batch",
        json={"jobs": [{"type": "noop", "queue": "a"}] * 5 + [{"type": "echo", "queue": "b"}] * 2},
    )
    assert batch.status_code == 201 and batch.json()["created"] == [True] * 7
    seen: list[int] = []
    cursor = None
    while True:
        page = http.get("/jobs", params={"limit": 2, "queue": "a", **({"cursor": cursor} if cursor else {})})
        body = page.json()
        seen += [j["id"] for j in body["items"]]
        assert all(j["queue"] == "a" for j in body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    assert len(http.get("/jobs", params={"type": "echo", "state": "queued"}).json()["items"]) == 2


def test_idempotency_key_header_returns_the_same_job(http: httpx.Client) -> None:
    first = http.post("/jobs", json={"type": "noop"}, headers={"Idempotency-Key": "abc"})
    again = http.post("/jobs", json={"type": "noop"}, headers={"Idempotency-Key": "abc"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


def test_concurrent_identical_posts_create_one_job(http: httpx.Client) -> None:
    def post(_: int) -> int:
        return int(
            http.post("/jobs", json={"type": "noop"}, headers={"Idempotency-Key": "same"}).json()["id"]
        )

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(post, range(16)))
    assert len(ids) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "nope"}, "type"),
        ({"type": "sleep", "payload": {"seconds": "long"}}, "payload.seconds"),
        ({"type": "noop", "run_at": "tomorrow"}, "run_at"),
        ({"type": "noop", "run_at": "2030-01-01T10:00:00"}, "run_at"),  # no offset
        ({"type": "noop", "queue": "bad queue!"}, "queue"),
        ({"type": "noop", "colour": "red"}, "colour"),
        ({"type": "noop", "max_attempts": 0}, "max_attempts"),
        ({"type": "echo", "payload": {"big": "x" * 270_000}}, "payload"),
        ({"payload": {}}, "type"),
    ],
)
def test_bad_jobs_get_422_naming_the_field(http: httpx.Client, body: dict[str, Any], field: str) -> None:
    assert_problem(http.post("/jobs", json=body), 422, field)
    assert http.get("/jobs").json()["items"] == []


def test_bad_batch_writes_nothing(http: httpx.Client) -> None:
    response = http.post("/jobs/batch", json={"jobs": [{"type": "noop"}, {"type": "nope"}]})
    assert_problem(response, 422, "jobs[1].type")
    assert http.get("/jobs").json()["items"] == []


def test_malformed_json_wrong_content_and_oversized_bodies(http: httpx.Client) -> None:
    assert_problem(
        http.post("/jobs", content=b"{not json", headers={"content-type": "application/json"}), 422
    )
    assert_problem(
        http.post("/jobs", content=b"x" * (11 * 1024 * 1024), headers={"content-type": "application/json"}),
        413,
    )


def test_not_found_method_not_allowed_bad_cursor(http: httpx.Client) -> None:
    assert_problem(http.get("/jobs/424242"), 404)
    assert_problem(http.get("/nothing-here"), 404)
    assert_problem(http.delete("/jobs"), 405)
    assert_problem(http.get("/jobs", params={"cursor": "garbage!"}), 422, "cursor")
    assert_problem(http.get("/jobs", params={"state": "sleeping"}), 422, "state")


def test_cancel_and_retry_actions(http: httpx.Client) -> None:
    job = http.post("/jobs", json={"type": "noop", "queue": "idle"}).json()
    cancelled = http.post(f"/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert_problem(http.post(f"/jobs/{job['id']}/cancel"), 409)
    retried = http.post(f"/jobs/{job['id']}/retry").json()
    assert (retried["state"], retried["attempts"]) == ("queued", 0)
    assert_problem(http.post("/jobs/999999/retry"), 404)


def test_queue_pause_and_limit(http: httpx.Client) -> None:
    paused = http.patch("/queues/reports", json={"paused": True, "concurrency_limit": 3}).json()
    assert paused == {"name": "reports", "paused": True, "concurrency_limit": 3, "rate_limit": None}
    resumed = http.patch("/queues/reports", json={"paused": False, "rate_limit": 2.5}).json()
    assert resumed == {"name": "reports", "paused": False, "concurrency_limit": 3, "rate_limit": 2.5}
    assert http.patch("/queues/reports", json={"concurrency_limit": None}).json()["concurrency_limit"] is None
    assert_problem(http.patch("/queues/reports", json={"paused": "maybe"}), 422, "paused")


def test_schedules_create_list_delete(http: httpx.Client) -> None:
    created = http.post("/schedules", json={"name": "tick", "cron": "@every 5s", "job": {"type": "noop"}})
    assert created.status_code == 201
    schedule = created.json()
    assert schedule["next_fire_at"] and schedule["timezone"] == "UTC"
    assert [s["name"] for s in http.get("/schedules").json()["items"]] == ["tick"]
    assert http.delete(f"/schedules/{schedule['id']}").status_code == 204
    assert_problem(http.delete(f"/schedules/{schedule['id']}"), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "cron": "every day", "job": {"type": "noop"}}, "cron"),
        ({"name": "x", "cron": "* * * * *", "timezone": "Nowhere/City", "job": {"type": "noop"}}, "timezone"),
        ({"name": "x", "cron": "* * * * *", "job": {"type": "nope"}}, "job.type"),
        (
            {"name": "x", "cron": "* * * * *", "job": {"type": "noop", "run_at": "2030-01-01T00:00:00Z"}},
            "job.run_at",
        ),
        (
            {"name": "x", "cron": "* * * * *", "job": {"type": "noop"}, "misfire_policy": "panic"},
            "misfire_policy",
        ),
    ],
)
def test_bad_schedules_get_422_naming_the_field(http: httpx.Client, body: dict[str, Any], field: str) -> None:
    assert_problem(http.post("/schedules", json=body), 422, field)
    assert http.get("/schedules").json()["items"] == []


def test_missing_and_invalid_keys_are_refused(api_server: Process, admin_key: str) -> None:
    url = f"{api_server.base_url}/api/v1/jobs"
    body = assert_problem(httpx.get(url), 401)
    assert "Authorization" in body["detail"]
    assert_problem(httpx.get(url, headers={"Authorization": f"Bearer {admin_key}x"}), 401)
    assert_problem(httpx.get(url, headers={"Authorization": "Basic abc"}), 401)


async def test_viewer_reads_but_cannot_write(api_server: Process, pool: Pool, admin_key: str) -> None:
    viewer = await issue_key(pool, "viewer@example.com", "viewer")
    client = httpx.AsyncClient(
        base_url=f"{api_server.base_url}/api/v1", headers={"Authorization": f"Bearer {viewer}"}
    )
    async with client:
        assert (await client.get("/jobs")).status_code == 200
        body = assert_problem(await client.post("/jobs", json={"type": "noop"}), 403)
        assert "jobs:write" in body["detail"]
        assert_problem(await client.patch("/queues/default", json={"paused": True}), 403)
        assert_problem(await client.post("/schedules", json={}), 403)


def test_openapi_and_probes(api_server: Process) -> None:
    spec = httpx.get(f"{api_server.base_url}/api/v1/openapi.json").json()
    assert {"/api/v1/jobs", "/api/v1/jobs/{job_id}", "/api/v1/schedules"} <= spec["paths"].keys()
    assert httpx.get(f"{api_server.base_url}/livez").json() == {"status": "ok"}
    assert httpx.get(f"{api_server.base_url}/readyz").json() == {"status": "ok"}
    metrics = httpx.get(f"{api_server.base_url}/metrics").text
    assert 'conveyor_http_requests_total{method="GET",route="/livez",status="200"}' in metrics
    assert 'route="/api/v1/jobs/{job_id}"' in metrics  # route templates, never ids


def test_callers_trace_context_is_kept_on_the_job_without_tracing(http: httpx.Client) -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    job = http.post("/jobs", json={"type": "noop"}, headers={"traceparent": traceparent}).json()
    assert job["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert http.post("/jobs", json={"type": "noop"}).json()["trace_id"] is None


def test_bodies_must_be_json_and_responses_carry_security_headers(http: httpx.Client) -> None:
    form = http.post(
        "/jobs", content=b"type=noop", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert_problem(form, 415)
    assert_problem(
        http.post("/jobs", content=b'{"type": "noop"}', headers={"content-type": "text/plain"}), 415
    )
    ok = http.post(
        "/jobs", content=b'{"type": "noop"}', headers={"content-type": "application/json; charset=utf-8"}
    )
    assert ok.status_code == 201
    assert ok.headers["x-content-type-options"] == "nosniff"
    assert ok.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert (
        "access-control-allow-origin"
        not in http.get("/jobs", headers={"Origin": "https://evil.example"}).headers
    )


def test_cors_allows_only_configured_origins(spawn: Any) -> None:
    api = spawn("api", env={"CONVEYOR_CORS_ORIGINS": "https://console.example"}).wait_ready()
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    allowed = httpx.options(
        f"{api.base_url}/api/v1/jobs", headers={"Origin": "https://console.example", **preflight}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://console.example"
    refused = httpx.options(
        f"{api.base_url}/api/v1/jobs", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in refused.headers


def test_same_key_with_a_different_body_is_422(http: httpx.Client) -> None:
    assert http.post("/jobs", json={"type": "noop"}, headers={"Idempotency-Key": "k1"}).status_code == 201
    assert_problem(
        http.post("/jobs", json={"type": "echo"}, headers={"Idempotency-Key": "k1"}), 422, "Idempotency-Key"
    )


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/jobs", {"json": {"type": "noop'; DROP TABLE conveyor.jobs; --"}}),
        ("POST", "/jobs", {"json": {"type": "echo", "payload": {"q": "1' OR '1'='1"}}}),
        ("GET", "/jobs", {"params": {"type": "x' OR 1=1 --"}}),
        ("GET", "/jobs", {"params": {"queue": "default' OR 1=1 --"}}),
        (
            "POST",
            "/schedules",
            {
                "json": {
                    "name": "'; DELETE FROM conveyor.schedules; --",
                    "cron": "@every 1m",
                    "job": {"type": "noop"},
                }
            },
        ),
    ],
)
def test_sql_looking_input_is_just_data(
    http: httpx.Client, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = http.request(method, path, **kwargs)
    assert response.status_code in (200, 201, 422)
    # Nothing was dropped or deleted, and the strings round-trip unchanged where they were valid.
    assert http.get("/jobs").status_code == 200 and http.get("/schedules").status_code == 200
    if response.status_code == 201 and path == "/jobs":
        assert http.get(f"/jobs/{response.json()['id']}").json()["payload"] == kwargs["json"].get(
            "payload", {}
        )
    if response.status_code == 201 and path == "/schedules":
        assert http.get("/schedules").json()["items"][0]["name"] == kwargs["json"]["name"]
