"""Conditional GETs on job and schedule reads: an ETag per representation, 304 with no body
when If-None-Match names it, a new tag once the resource (or the caller's view of it) changes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support import Process

LATER = "2099-01-01T00:00:00Z"


@pytest.fixture
def api(api_server: Process, admin_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{api_server.base_url}/api/v1", headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
    ) as client:
        yield client


def test_a_job_read_revalidates_to_304_until_it_changes(api: httpx.Client) -> None:
    job = api.post("/jobs", json={"type": "noop", "run_at": LATER}).json()
    first = api.get(f"/jobs/{job['id']}")
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('"') and first.json()["id"] == job["id"]
    assert first.headers["cache-control"] == "no-store"  # payloads may hold credentials

    unchanged = api.get(f"/jobs/{job['id']}", headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == tag
    assert api.get(f"/jobs/{job['id']}", headers={"If-None-Match": f'"other", W/{tag}'}).status_code == 304

    assert api.post(f"/jobs/{job['id']}/cancel").status_code == 200
    changed = api.get(f"/jobs/{job['id']}", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.json()["state"] == "cancelled"
    assert changed.headers["etag"] != tag


def test_a_schedule_read_revalidates_to_304_until_it_changes(api: httpx.Client) -> None:
    schedule = api.post(
        "/schedules", json={"name": "etag", "cron": "@every 1h", "job": {"type": "noop"}}
    ).json()
    tag = api.get(f"/schedules/{schedule['id']}").headers["etag"]
    assert api.get(f"/schedules/{schedule['id']}", headers={"If-None-Match": tag}).status_code == 304
    api.post(f"/schedules/{schedule['id']}/pause").raise_for_status()
    changed = api.get(f"/schedules/{schedule['id']}", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.json()["enabled"] is False


def test_a_missing_job_is_still_404_whatever_the_tag(api: httpx.Client) -> None:
    assert api.get("/jobs/999999999", headers={"If-None-Match": "*"}).status_code == 404
