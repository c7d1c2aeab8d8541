"""Webhooks end to end: a job's state change reaches a local receiver, signed per Standard
Webhooks and verified by an independent implementation (the `standardwebhooks` package)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks import Webhook as Verifier

from tests.conftest import job_counts
from tests.integration.test_api import assert_problem
from tests.support import Process, Received, Recorder, Responder, recording_receiver, wait_until


def refusing_first(count: int) -> Responder:
    """Answers 503 to the first ``count`` deliveries (the worker retries them), 204 after."""
    return lambda _request, before: (503, {}, b"") if before < count else (204, {}, b"")


@pytest.fixture
def receiver() -> Iterator[Recorder]:
    with recording_receiver(refusing_first(0)) as recorder:
        yield recorder


@pytest.fixture(scope="module")
def processes(spawn_for_module: Any) -> tuple[Process, Process]:
    """The API and the worker that delivers the webhooks, shared by the module's tests: each
    test starts on an empty database (``admin_key`` empties it) and waits for its deliveries."""
    env = {
        "CONVEYOR_HTTP_ALLOW": "127.0.0.1",
        "CONVEYOR_WORKER_POLL_INTERVAL": "0.2",
        "CONVEYOR_BACKOFF_BASE_SECONDS": "0.1",
        "CONVEYOR_BACKOFF_MAX_SECONDS": "0.2",
    }
    api, worker = spawn_for_module("api", env=env), spawn_for_module("worker", env=env)
    return api.wait_ready(), worker.wait_ready()


@pytest.fixture(autouse=True)
def nothing_left_in_flight(database_url: str) -> Iterator[None]:
    """The module's worker outlives each test: a test ends once none of its jobs is queued,
    running or retrying, so no work, and no late completion of a job whose id the next test's
    emptied database hands out again, crosses into the next test."""
    yield
    wait_until(
        lambda: not {"queued", "running", "retrying"} & set(job_counts(database_url)),
        timeout=15,
        what="the test's jobs to finish before the next test empties the database",
    )


@pytest.fixture
def fresh_worker(processes: tuple[Process, Process], clean_db: str) -> Process:
    """The module's worker restarted on the emptied database: its counters start from zero, and
    nothing an earlier test left can be delivered (and counted) after the restart."""
    _, worker = processes
    worker.stop()
    return worker.start().wait_ready()


@pytest.fixture
def platform(processes: tuple[Process, Process], admin_key: str) -> httpx.Client:
    api, _ = processes
    return httpx.Client(
        base_url=f"{api.base_url}/api/v1", headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
    )


def verified(secret: str, deliveries: list[Received]) -> list[dict[str, Any]]:
    verifier = Verifier(secret)
    return [verifier.verify(d.body, d.headers) for d in deliveries]


def test_job_events_are_delivered_signed(platform: httpx.Client, receiver: Recorder) -> None:
    created = platform.post(
        "/webhooks", json={"url": f"{receiver.url}/hooks", "events": ["job.succeeded", "job.dead"]}
    )
    assert created.status_code == 201
    hook = created.json()
    assert hook["secret"].startswith("whsec_")
    assert "secret" not in platform.get(f"/webhooks/{hook['id']}").json()
    receiver.respond = refusing_first(1)  # the first delivery attempt fails and is retried
    job = platform.post("/jobs", json={"type": "echo", "payload": {"n": 1}}).json()
    refused, delivered = receiver.wait_for(2)
    assert refused.body == delivered.body  # the retry sends the same event
    [event] = verified(hook["secret"], [delivered])
    assert event["type"] == "job.succeeded"
    assert event["data"]["job_id"] == job["id"] and event["data"]["previous_state"] == "running"

    def deliveries() -> list[tuple[str, int]]:
        items = platform.get(f"/webhooks/{hook['id']}/deliveries").json()["items"]
        return [(d["state"], d["attempts"]) for d in items]

    # The receiver has the request before the worker's completer records the attempt's end.
    wait_until(lambda: deliveries() == [("succeeded", 2)], timeout=15, what="the delivery recorded")
    with pytest.raises(Exception):  # noqa: B017, PT011 - any verification failure
        Verifier("whsec_" + "A" * 43 + "=").verify(delivered.body, delivered.headers)


def delivery_counts(worker: Process) -> dict[str, float]:
    """conveyor_webhook_deliveries_total by result, read from the worker's /metrics."""
    text = httpx.get(f"{worker.base_url}/metrics", timeout=5).text
    return {
        sample.labels["result"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "conveyor_webhook_deliveries"
        for sample in family.samples
        if sample.name == "conveyor_webhook_deliveries_total"
    }


def test_delivery_attempts_are_counted_by_result(
    fresh_worker: Process, platform: httpx.Client, receiver: Recorder
) -> None:
    worker = fresh_worker
    platform.post("/webhooks", json={"url": f"{receiver.url}/hooks", "events": ["job.succeeded"]})
    receiver.respond = refusing_first(2)  # two attempts answered 503, the third delivered
    platform.post("/jobs", json={"type": "echo", "payload": {"n": 1}})
    receiver.wait_for(3)
    wait_until(lambda: delivery_counts(worker).get("delivered") == 1.0, timeout=10, what="the counter")
    assert delivery_counts(worker) == {"delivered": 1.0, "http_status": 2.0}


def test_rotation_signs_with_both_secrets_during_grace(platform: httpx.Client, receiver: Recorder) -> None:
    hook = platform.post("/webhooks", json={"url": f"{receiver.url}/hooks", "events": ["job.dead"]}).json()
    rotated = platform.post(f"/webhooks/{hook['id']}/rotate-secret").json()
    assert rotated["secret"] != hook["secret"] and rotated["rotation_ends_at"]
    test = platform.post(f"/webhooks/{hook['id']}/test")
    assert test.status_code == 202
    [delivery] = receiver.wait_for(1)
    assert verified(hook["secret"], [delivery])[0]["type"] == "webhook.test"  # receivers not yet switched
    assert verified(rotated["secret"], [delivery])[0]["type"] == "webhook.test"  # receivers already switched
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://10.0.0.7/hook", "private"),
        ("http://[::1]:8080/hook", "loopback"),
        ("http://user:pw@127.0.0.1/hook", "credentials"),
        ("ftp://127.0.0.1/hook", "URL scheme"),
        ("http://no-such-host.invalid/hook", "cannot resolve"),
    ],
)
def test_unsafe_webhook_urls_are_refused(platform: httpx.Client, url: str, message: str) -> None:
    response = platform.post("/webhooks", json={"url": url, "events": ["job.dead"]})
    body = assert_problem(response, 422, "url")
    assert message in body["detail"]
    assert platform.get("/webhooks").json() == []


def test_header_injection_in_url_is_refused(platform: httpx.Client) -> None:
    response = platform.post(
        "/webhooks", json={"url": "http://127.0.0.1/a\r\nX-Evil: 1", "events": ["job.dead"]}
    )
    assert response.status_code == 422
    assert platform.get("/webhooks").json() == []


def test_deliveries_cannot_be_forged_through_the_jobs_api(platform: httpx.Client) -> None:
    forged = {
        "endpoint_id": 1,
        "event_id": "evt_x",
        "event_type": "job.succeeded",
        "timestamp": "2030-01-01T00:00:00Z",
        "data": {},
    }
    assert_problem(platform.post("/jobs", json={"type": "webhook", "payload": forged}), 422, "type")
    assert_problem(platform.post("/jobs", json={"type": "noop", "queue": "conveyor.webhooks"}), 422, "queue")


def test_update_disable_and_delete(platform: httpx.Client, receiver: Recorder) -> None:
    hook = platform.post(
        "/webhooks", json={"url": f"{receiver.url}/hooks", "events": ["job.succeeded"]}
    ).json()
    assert platform.patch(f"/webhooks/{hook['id']}", json={"enabled": False}).json()["enabled"] is False
    assert_problem(platform.patch(f"/webhooks/{hook['id']}", json={"url": "http://10.1.1.1/"}), 422, "url")
    assert_problem(platform.patch(f"/webhooks/{hook['id']}", json={"events": ["job.exploded"]}), 422)
    assert platform.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert_problem(platform.get(f"/webhooks/{hook['id']}"), 404)
