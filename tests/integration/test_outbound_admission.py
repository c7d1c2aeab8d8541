"""An http job naming a literal private, loopback or metadata address is refused at submission
(as webhook registration is), not accepted to die at run time; names still resolve at run time."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support import Process, free_port, process_env

LATER = "2099-01-01T00:00:00Z"  # stays queued: no worker runs what these tests accept


@pytest.fixture
def api(api_server: Process, admin_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{api_server.base_url}/api/v1", headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
    ) as client:
        yield client


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9000/hook", "a loopback address"),
        ("http://[::1]/hook", "a loopback address"),
        ("http://10.1.2.3/hook", "a private address"),
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://[::ffff:192.168.0.1]/hook", "a private address"),
    ],
)
def test_a_literal_refused_address_is_refused_at_submit(api: httpx.Client, url: str, reason: str) -> None:
    refused = api.post("/jobs", json={"type": "http", "payload": {"url": url}, "run_at": LATER})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "payload.url"
    assert reason in error["message"] and "CONVEYOR_HTTP_ALLOW" in error["message"]


def test_a_batch_names_the_refused_job(api: httpx.Client) -> None:
    marker = f"batch-{uuid.uuid4()}"
    jobs = [
        {"type": "http", "payload": {"url": f"https://8.8.8.8/{marker}"}, "run_at": LATER},
        {"type": "http", "payload": {"url": "http://192.168.1.1/hook"}, "run_at": LATER},
    ]
    refused = api.post("/jobs/batch", json={"jobs": jobs})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["jobs[1].payload.url"]
    listed = api.get("/jobs", params={"type": "http", "limit": 500}).json()["items"]
    assert not [j for j in listed if marker in j["payload"]["url"]]  # nothing half-written


def test_a_schedule_template_is_refused_on_create_and_on_update(api: httpx.Client) -> None:
    metadata = {"type": "http", "payload": {"url": "http://169.254.169.254/"}}
    created = api.post("/schedules", json={"name": "meta", "cron": "@every 1h", "job": metadata})
    assert created.status_code == 422 and created.json()["errors"][0]["field"] == "job.payload.url"
    fine = api.post("/schedules", json={"name": "fine", "cron": "@every 1h", "job": {"type": "noop"}})
    assert fine.status_code == 201
    updated = api.patch(f"/schedules/{fine.json()['id']}", json={"job": metadata})
    assert updated.status_code == 422 and updated.json()["errors"][0]["field"] == "job.payload.url"


def test_public_addresses_and_host_names_are_accepted(api: httpx.Client) -> None:
    # A name is judged when the job runs, by what it resolves to then (the run-time guard).
    for url in ("https://8.8.8.8/hook", "http://localhost:9/hook", "https://example.com/hook"):
        accepted = api.post("/jobs", json={"type": "http", "payload": {"url": url}, "run_at": LATER})
        assert accepted.status_code == 201, accepted.text


def test_the_allow_list_admits_what_it_names(
    database_url: str, admin_key: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    port = free_port()
    env = process_env(database_url, CONVEYOR_HTTP_ALLOW="127.0.0.1:9000")
    proc = Process(["api", "--port", str(port)], env, tmp_path_factory.mktemp("api") / "api.log", port=port)
    proc.start().wait_ready()
    try:
        with httpx.Client(
            base_url=f"{proc.base_url}/api/v1", headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
        ) as client:
            allowed = {"type": "http", "payload": {"url": "http://127.0.0.1:9000/hook"}, "run_at": LATER}
            assert client.post("/jobs", json=allowed).status_code == 201
            other_port = {"type": "http", "payload": {"url": "http://127.0.0.1:9001/hook"}, "run_at": LATER}
            assert client.post("/jobs", json=other_port).status_code == 422
    finally:
        proc.stop()
