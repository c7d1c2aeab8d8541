"""Queues, dead-letter, schedule management and deprecation through the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from conveyor.factories import walk_to_states
from conveyor.store.database import Pool
from tests.integration.test_api import assert_problem
from tests.support import Process, eventually


@pytest.fixture
def http(api_server: Process, admin_key: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{api_server.base_url}/api/v1", headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
    )


async def test_workers_are_listed_with_their_slots_until_they_stop(
    http: httpx.Client, start_worker: Callable[..., Any]
) -> None:
    assert http.get("/workers").json() == []
    worker = start_worker(concurrency=7, queues=["default", "mail"])

    async def listed() -> list[dict[str, Any]]:
        return list(http.get("/workers").json())

    [seen] = await eventually(listed, timeout=10, what="the worker to announce itself")
    assert seen["id"] == worker.worker.worker_id
    assert (seen["concurrency"], seen["busy"], seen["queues"]) == (7, 0, ["default", "mail"])
    await worker.stop()
    assert http.get("/workers").json() == [], "a worker that stops takes itself off the list"


def test_queue_overview_pause_resume_and_deprecated_field(http: httpx.Client) -> None:
    http.post("/jobs/batch", json={"jobs": [{"type": "noop", "queue": "mail"}] * 3})
    http.post("/jobs", json={"type": "noop", "queue": "mail", "run_at": "2030-01-01T00:00:00Z"})
    [mail] = [q for q in http.get("/queues").json() if q["name"] == "mail"]
    assert (mail["due"], mail["waiting"], mail["running"], mail["paused"]) == (3, 1, 0, False)
    assert mail["oldest_due_age_seconds"] >= 0
    assert http.post("/queues/mail/pause").json()["paused"] is True
    assert http.post("/queues/mail/resume").json()["paused"] is False
    # The old way still works until its sunset, and says so.
    old = http.patch("/queues/mail", json={"paused": True})
    assert old.status_code == 200 and old.json()["paused"] is True
    assert old.headers["deprecation"].startswith("@")
    assert old.headers["sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert 'rel="successor-version"' in old.headers["link"]
    assert "deprecation" not in http.patch("/queues/mail", json={"concurrency_limit": 2}).headers
    spec = http.get("/openapi.json").json()
    assert spec["components"]["schemas"]["QueueUpdate"]["properties"]["paused"]["deprecated"] is True


async def test_dead_letter_list_replay_purge_and_delete(http: httpx.Client, pool: Pool) -> None:
    ids = [
        j["id"]
        for j in http.post(
            "/jobs/batch",
            json={
                "jobs": [
                    {"type": "noop", "queue": "a"},
                    {"type": "noop", "queue": "b"},
                    {"type": "echo", "queue": "b"},
                ]
            },
        ).json()["items"]
    ]
    await walk_to_states(pool, {"dead": ids})  # as a worker would: no worker runs in these tests
    assert [j["id"] for j in http.get("/dead-letter", params={"queue": "b"}).json()["items"]] == ids[:0:-1]
    assert http.post("/dead-letter/replay", json={"type": "echo"}).json()["replayed"] == 1
    assert_problem(http.post("/dead-letter/purge", json={"queue": "b"}), 422, "confirm")
    assert http.post("/dead-letter/purge", json={"queue": "b", "confirm": True}).json() == {"purged": 1}
    assert [j["id"] for j in http.get("/dead-letter").json()["items"]] == [ids[0]]
    assert_problem(http.delete(f"/jobs/{ids[2]}"), 409)  # queued again after the replay
    assert http.delete(f"/jobs/{ids[0]}").status_code == 204
    assert_problem(http.get(f"/jobs/{ids[0]}"), 404)
    assert_problem(http.delete(f"/jobs/{ids[0]}"), 404)


def test_time_range_filter(http: httpx.Client) -> None:
    job = http.post("/jobs", json={"type": "noop"}).json()
    created = datetime.fromisoformat(job["created_at"])
    inside = {
        "created_after": (created - timedelta(seconds=1)).isoformat(),
        "created_before": (created + timedelta(seconds=1)).isoformat(),
    }
    assert [j["id"] for j in http.get("/jobs", params=inside).json()["items"]] == [job["id"]]
    assert (
        http.get("/jobs", params={"created_after": (created + timedelta(seconds=1)).isoformat()}).json()[
            "items"
        ]
        == []
    )
    assert_problem(http.get("/jobs", params={"created_after": "yesterday"}), 422, "created_after")


def test_schedule_update_pause_resume_trigger_preview(http: httpx.Client) -> None:
    s = http.post("/schedules", json={"name": "r", "cron": "0 9 * * *", "job": {"type": "noop"}}).json()
    updated = http.patch(
        f"/schedules/{s['id']}", json={"cron": "30 6 * * *", "timezone": "Asia/Tokyo"}
    ).json()
    assert (updated["cron"], updated["timezone"], updated["job"]) == (
        "30 6 * * *",
        "Asia/Tokyo",
        {"type": "noop", "payload": {}, "queue": "default", "priority": 0},
    )
    assert datetime.fromisoformat(updated["next_fire_at"]).astimezone(UTC).strftime("%H:%M") == "21:30"
    assert http.post(f"/schedules/{s['id']}/pause").json()["enabled"] is False
    assert http.post(f"/schedules/{s['id']}/resume").json()["enabled"] is True
    job = http.post(f"/schedules/{s['id']}/trigger")
    assert job.status_code == 201 and job.json()["type"] == "noop"
    preview = http.get(f"/schedules/{s['id']}/preview", params={"count": 3}).json()["next_fire_times"]
    assert len(preview) == 3 and all(t.endswith(("21:30:00Z", "21:30:00+00:00")) for t in preview)
    helper = http.post("/schedules/preview", json={"cron": "@every 90s", "count": 2}).json()[
        "next_fire_times"
    ]
    first, second = (datetime.fromisoformat(t) for t in helper)
    assert second - first == timedelta(seconds=90)
    assert_problem(http.post("/schedules/preview", json={"cron": "0 25 * * *"}), 422, "cron")
    assert_problem(http.patch(f"/schedules/{s['id']}", json={"cron": "nope"}), 422, "cron")
    assert_problem(http.patch(f"/schedules/{s['id']}", json={"enabled": None}), 422, "enabled")
    assert_problem(http.patch("/schedules/999", json={"enabled": True}), 404)
    other = http.post(
        "/schedules", json={"name": "other", "cron": "@every 1m", "job": {"type": "noop"}}
    ).json()
    assert_problem(http.patch(f"/schedules/{other['id']}", json={"name": "r"}), 422, "name")
