"""Credentials inside http job payloads: refused in URLs, hidden from viewers (API; the console
reads through the API and is covered in tests/integration/web)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conveyor.store.database import Pool
from tests.conftest import issue_key
from tests.integration.test_api import assert_problem
from tests.support import Process, free_port, process_env

SECRETS = ("key-s3cret", "bearer-s3cret", "tenant-acme", "query-s3cret")
HTTP_JOB: dict[str, Any] = {
    "type": "http",
    "run_at": "2099-01-01T00:00:00Z",  # stays put: no worker runs it
    "payload": {
        "url": "https://8.8.8.8/charge?access_token=query-s3cret&page=2",
        "headers": {
            "X-Api-Key": "key-s3cret",
            "Authorization": "Bearer bearer-s3cret",
            "X-Tenant": "tenant-acme",
            "Content-Type": "application/json",
        },
        "body": {"amount": 5},
    },
}


@pytest.fixture(scope="module")
def api(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """An API that also redacts the X-Tenant header for viewers."""
    port = free_port()
    env = process_env(database_url, CONVEYOR_REDACT_HEADERS="X-Tenant")
    proc = Process(["api", "--port", str(port)], env, tmp_path_factory.mktemp("api") / "api.log", port=port)
    proc.start().wait_ready()
    yield proc
    proc.stop()


def client(api: Process, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{api.base_url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )


def readable_payloads(http: httpx.Client, job_id: int, schedule_id: int) -> list[str]:
    """Every view of the payload a reader gets: the job, job lists, the schedule, schedule lists."""
    return [
        http.get(f"/jobs/{job_id}").text,
        http.get("/jobs", params={"type": "http"}).text,
        http.get(f"/schedules/{schedule_id}").text,
        http.get("/schedules").text,
    ]


async def test_viewers_see_http_credentials_redacted_operators_see_them(
    api: Process, pool: Pool, clean_db: str
) -> None:
    operator = client(api, await issue_key(pool, "operator@example.com", "operator"))
    viewer = client(api, await issue_key(pool, "viewer@example.com", "viewer"))
    job = operator.post("/jobs", json=HTTP_JOB).json()
    template = {k: v for k, v in HTTP_JOB.items() if k != "run_at"}
    schedule = operator.post(
        "/schedules", json={"name": "charge", "cron": "@every 1h", "job": template}
    ).json()

    for page in readable_payloads(viewer, job["id"], schedule["id"]):
        assert not [s for s in SECRETS if s in page], page
        assert "[redacted]" in page and "application/json" in page and "page=2" in page
    shown = viewer.get(f"/jobs/{job['id']}").json()["payload"]
    assert shown["body"] == {"amount": 5} and shown["headers"]["Content-Type"] == "application/json"

    for page in readable_payloads(operator, job["id"], schedule["id"]):
        assert all(s in page for s in SECRETS) and "[redacted]" not in page


async def test_credentials_in_an_http_job_url_are_refused(api: Process, pool: Pool, clean_db: str) -> None:
    operator = client(api, await issue_key(pool, "operator@example.com", "operator"))
    bad = {"type": "http", "payload": {"url": "https://user:pw@8.8.8.8/hook"}}
    body = assert_problem(operator.post("/jobs", json=bad), 422, "payload.url")
    assert "credentials" in body["detail"] and "pw" not in body["detail"]
    assert operator.get("/jobs").json()["items"] == []
