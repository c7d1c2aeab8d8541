"""Hostile input against a real API process: every refusal is problem+json naming the field or
the limit, nothing is written, and no database message reaches the client."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from conveyor.api.app import create_app
from conveyor.settings import load_settings
from tests.support import Process

PROBLEM = "application/problem+json"
JSON = {"content-type": "application/json"}
DATABASE_WORDS = ("postgresql", "bigint", "unicode escape", "invalid input syntax", "0x00", "sqlstate")


@pytest.fixture
def http(api_server: Process, admin_key: str) -> Iterator[httpx.Client]:
    # A new connection per request: some refusals close the connection.
    with httpx.Client(
        base_url=f"{api_server.base_url}/api/v1",
        headers={"Authorization": f"Bearer {admin_key}", "Connection": "close"},
        timeout=30,
    ) as client:
        yield client


def refused(response: httpx.Response, status: int, field: str | None) -> dict[str, Any]:
    """A problem+json refusal naming ``field`` (None: the detail names the limit instead)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    if field is not None:
        assert [e["field"] for e in body["errors"]] == [field], body
    assert not any(word in response.text.lower() for word in DATABASE_WORDS), body
    return body


def nothing_written(http: httpx.Client) -> None:
    assert http.get("/jobs").json()["items"] == []
    assert http.get("/schedules").json()["items"] == []


def cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": value}).encode()).decode().rstrip("=")


HOSTILE_CADENCES = [
    ("0 0 30 2 *", "never fires"),
    ("0 0 31 4 *", "never fires"),
    ("@every 99999999999999d", "interval too large"),
    ("@every " + "9" * 150 + "s", "interval too large"),
    ("@every " + "9" * 5000 + "s", "longer than 200 characters"),
]


@pytest.mark.parametrize(("cron", "reason"), HOSTILE_CADENCES)
def test_schedules_that_never_fire_are_422_on_preview_create_and_update(
    http: httpx.Client, cron: str, reason: str
) -> None:
    preview = refused(http.post("/schedules/preview", json={"cron": cron}), 422, "cron")
    assert reason in preview["errors"][0]["message"]
    create = {"name": "hostile", "cron": cron, "job": {"type": "noop"}}
    assert reason in refused(http.post("/schedules", json=create), 422, "cron")["detail"]
    nothing_written(http)
    good = http.post("/schedules", json={"name": "good", "cron": "@every 1m", "job": {"type": "noop"}})
    schedule_id = good.json()["id"]
    update = refused(http.patch(f"/schedules/{schedule_id}", json={"cron": cron}), 422, "cron")
    assert reason in update["detail"]
    assert http.get(f"/schedules/{schedule_id}").json()["cron"] == "@every 1m"


# Each: (method, path, JSON body, the field the refusal must name). NUL in text fields and
# payloads (keys too), lone surrogates, non-finite numbers (Python's parser takes NaN).
UNSTORABLE_BODIES: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", "/jobs", {"type": "echo", "payload": {"a": "x\x00y"}}, "payload"),
    ("POST", "/jobs", {"type": "echo", "payload": {"k\x00": 1}}, "payload"),
    ("POST", "/jobs", {"type": "echo", "payload": {"a": ["\ud800"]}}, "payload"),
    ("POST", "/jobs", {"type": "echo", "idempotency_key": "k\x00"}, "idempotency_key"),
    ("POST", "/jobs/batch", {"jobs": [{"type": "echo", "payload": {"a": "\x00"}}]}, "jobs[0].payload"),
    ("POST", "/schedules", {"name": "n\x00", "cron": "@every 1m", "job": {"type": "noop"}}, "name"),
    (
        "POST",
        "/schedules",
        {"name": "n", "cron": "@every 1m", "job": {"type": "echo", "payload": {"a": "\x00"}}},
        "job.payload",
    ),
    ("POST", "/schedules/preview", {"cron": "@every 1m", "timezone": "UTC\x00"}, "timezone"),
    ("POST", "/users", {"email": "a\x00@example.com", "role": "viewer"}, "email"),
    ("POST", "/users", {"email": "a@example.com", "role": "viewer", "name": "\x00"}, "name"),
    ("POST", "/me/api-keys", {"name": "ci\x00"}, "name"),
    (
        "POST",
        "/webhooks",
        {"url": "https://hooks.example.com/", "events": ["job.dead"], "description": "\x00"},
        "description",
    ),
    ("POST", "/dead-letter/replay", {"type": "echo\x00"}, "type"),
    ("POST", "/dead-letter/purge", {"type": "echo\x00", "confirm": True}, "type"),
    ("POST", "/sessions", {"email": "a@example.com", "password": "pw\x00"}, "password"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), UNSTORABLE_BODIES)
def test_unstorable_text_is_refused_naming_the_field(
    http: httpx.Client, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    # Escaped as JSON allows (\u0000, \ud800): what any client can send.
    refused(http.request(method, path, content=json.dumps(body).encode(), headers=JSON), 422, field)
    nothing_written(http)


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_numbers_json_cannot_hold_are_refused(http: httpx.Client, literal: bytes) -> None:
    body = b'{"type": "echo", "payload": {"n": ' + literal + b"}}"
    assert "finite" in refused(http.post("/jobs", content=body, headers=JSON), 422, "payload")["detail"]


def test_database_range_of_ids_cursors_and_query_text(http: httpx.Client) -> None:
    beyond = 2**63
    for path in ("/jobs", "/schedules", "/users", "/audit-log", "/dead-letter"):
        for value in (beyond, 0, -5):
            refused(http.get(path, params={"cursor": cursor(value)}), 422, "cursor")
    for path in (f"/jobs/{beyond}", f"/schedules/{beyond}", f"/users/{beyond}", f"/webhooks/{beyond}"):
        refused(http.get(path), 422, path.split("/")[1].rstrip("s").replace("webhook", "endpoint") + "_id")
    refused(http.get("/audit-log", params={"user_id": beyond}), 422, "user_id")
    refused(http.get("/jobs", params={"type": "a\x00b"}), 422, "type")
    refused(http.get("/analytics", params={"type": "\x00"}), 422, "type")


def test_json_nested_too_deep_is_refused_naming_the_limit(http: httpx.Client) -> None:
    for depth in (100, 900, 5000, 100_000):
        body = b'{"type": "echo", "payload": {"a": ' + b"[" * depth + b"]" * depth + b"}}"
        problem = refused(http.post("/jobs", content=body, headers=JSON), 422, None)
        assert problem["errors"][0]["field"] in ("payload", "body") and "64 levels" in problem["detail"]
    nothing_written(http)


def test_bodies_the_parser_refuses_name_the_body(http: httpx.Client) -> None:
    digits = b'{"type": "echo", "payload": {"n": ' + b"9" * 5000 + b"}}"
    assert "4300 digits" in refused(http.post("/jobs", content=digits, headers=JSON), 422, "body")["detail"]
    latin1 = b'{"type": "echo", "payload": {"s": "\xff"}}'
    assert "UTF-8" in refused(http.post("/jobs", content=latin1, headers=JSON), 422, "body")["detail"]
    broken = refused(http.post("/jobs", content=b'{"type":', headers=JSON), 422, "body")
    assert "not valid JSON" in broken["detail"]


def test_a_chunked_body_over_the_limit_is_413(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is known only while reading
        for _ in range(11):
            yield b" " * (1024 * 1024)

    problem = refused(http.post("/jobs", content=chunks(), headers=JSON), 413, None)
    assert "10485760-byte limit" in problem["detail"] and problem["type"].endswith("too-large")


def raw_exchange(server: Process, request: bytes) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Send bytes as they are (no client would send these) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", server.port or 0), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status, headers, json.loads(body)


def test_oversized_and_malformed_headers_get_problem_json(api_server: Process) -> None:
    # The header section never ends within the server's buffer: refused as it arrives.
    huge = b"GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000
    status, headers, body = raw_exchange(api_server, huge)
    assert status.startswith("HTTP/1.1 431") and headers["content-type"] == PROBLEM
    assert body["status"] == 431 and "16384-byte limit" in body["detail"]

    secret = b"Bearer cvk_0000_a\x00b"
    status, headers, body = raw_exchange(
        api_server, b"GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: " + secret + b"\r\n\r\n"
    )
    assert status.startswith("HTTP/1.1 400") and headers["content-type"] == PROBLEM
    assert body["status"] == 400 and "header" in body["detail"]
    assert "cvk_" not in json.dumps(body)  # the offending line is not echoed back


# --- Strict types and plausible times (a string is not an integer) ---------------------------

NOW = datetime.now(UTC)
LOOSE_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("/jobs", {"type": "noop", "priority": True}, "priority"),
    ("/jobs", {"type": "noop", "priority": "5"}, "priority"),
    ("/jobs", {"type": "noop", "priority": 5.0}, "priority"),
    ("/jobs", {"type": "noop", "max_attempts": "3"}, "max_attempts"),
    ("/jobs", {"type": "noop", "timeout_seconds": "30"}, "timeout_seconds"),
    ("/jobs", {"type": "noop", "timeout_seconds": True}, "timeout_seconds"),
    ("/jobs", {"type": "noop", "run_at": 1e12}, "run_at"),
    ("/jobs", {"type": "noop", "run_at": "0001-01-01T00:00:00Z"}, "run_at"),
    ("/jobs", {"type": "noop", "run_at": (NOW - timedelta(days=2)).isoformat()}, "run_at"),
    ("/jobs", {"type": "noop", "run_at": "9999-01-01T00:00:00Z"}, "run_at"),
    ("/jobs", {"type": 5}, "type"),
    ("/schedules", {"name": "s", "cron": "@every 1m", "job": {"type": "noop"}, "enabled": "yes"}, "enabled"),
    (
        "/schedules",
        {"name": "s", "cron": "@every 1m", "job": {"type": "noop"}, "max_catch_up": "2"},
        "max_catch_up",
    ),
    ("/schedules/preview", {"cron": "@every 1m", "count": "3"}, "count"),
    ("/dead-letter/replay", {"limit": "10"}, "limit"),
    ("/dead-letter/purge", {"confirm": 1}, "confirm"),
    ("/me/api-keys", {"name": "k", "expires_at": 2_000_000_000}, "expires_at"),
]


@pytest.mark.parametrize(("path", "body", "field"), LOOSE_BODIES)
def test_public_api_types_are_strict(http: httpx.Client, path: str, body: dict[str, Any], field: str) -> None:
    refused(http.post(path, json=body), 422, field)
    nothing_written(http)


def test_strict_types_still_take_what_json_means(http: httpx.Client) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    job = http.post("/jobs", json={"type": "noop", "priority": 7, "timeout_seconds": 30, "run_at": soon})
    assert job.status_code == 201, job.text
    assert (job.json()["priority"], job.json()["timeout_seconds"]) == (7, 30.0)
    queue = http.patch("/queues/strict", json={"rate_limit": 5, "concurrency_limit": 2})
    assert queue.status_code == 200 and queue.json()["rate_limit"] == 5.0


# --- The safety net: whatever still fails in the database is not quoted -----------------------


async def test_a_database_error_that_slips_through_is_not_quoted(database_url: str) -> None:
    app: FastAPI = create_app(load_settings(env="test"), database_url)

    @app.get("/api/v1/test-only/out-of-range")
    async def out_of_range() -> None:
        async with app.state.pool.connection() as conn:
            await conn.execute("SELECT %s::bigint", [2**64])

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/api/v1/test-only/out-of-range")
    with pytest.raises(psycopg.DataError, match="out of range"), psycopg.connect(database_url) as conn:
        conn.execute("SELECT %s::bigint", [2**64])  # what the database said
    problem = refused(response, 422, None)
    assert "request id" in problem["detail"] and "errors" not in problem
