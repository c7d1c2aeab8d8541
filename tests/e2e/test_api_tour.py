"""The README's walk-through as a new user would do it, through the documented API and client:
an admin creates an operator and a viewer, the operator submits and replays jobs and registers
a webhook a local receiver verifies, the viewer is refused writes, a burst gets 429."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook as Verifier

from conveyor.client import ApiError, Calls, Client
from tests.support import Recorder, all_ready, recording_receiver, wait_until


@pytest.fixture
def receiver() -> Iterator[Recorder]:
    with recording_receiver() as recorder:
        yield recorder


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_tour(spawn: Any, admin_key: str, receiver: Recorder) -> None:
    env = {
        "CONVEYOR_HTTP_ALLOW": "127.0.0.1",
        "CONVEYOR_RATE_LIMIT": "30/minute",
        "CONVEYOR_WORKER_POLL_INTERVAL": "0.2",
    }
    api = spawn("api", env=env)
    all_ready(api, spawn("worker", env=env))

    with Client(api.base_url, admin_key) as admin:
        operator = admin.call(Calls.create_user({"email": "op@example.com", "role": "operator"}))
        viewer = admin.call(Calls.create_user({"email": "view@example.com", "role": "viewer"}))
        op_key = admin.call(Calls.issue_key(operator.id, "tour")).secret
        viewer_key = admin.call(Calls.issue_key(viewer.id, "tour")).secret

    with Client(api.base_url, op_key) as op:
        hook = op.http.post(
            "/webhooks", json={"url": f"{receiver.url}/hook", "events": ["job.dead", "job.succeeded"]}
        ).json()
        failing = op.submit({"type": "fail", "payload": {"times": 1}, "max_attempts": 1})
        wait_until(lambda: op.get_job(failing.id).state == "dead", timeout=30, what="the job to dead-letter")
        assert op.replay_dead().replayed == 1
        wait_until(
            lambda: (
                op.get_job(failing.id).state in ("dead", "succeeded")
                and op.get_job(failing.id).attempts == 1
                and len(receiver.received) >= 2
            ),
            timeout=30,
            what="the replay and its webhooks",
        )
        verifier = Verifier(hook["secret"])
        events = [verifier.verify(r.body, r.headers) for r in receiver.received]
        assert {e["type"] for e in events} >= {"job.dead"}
        assert all(e["data"]["job_id"] == failing.id for e in events)

    with Client(api.base_url, viewer_key) as view:
        assert view.get_job(failing.id).id == failing.id
        with pytest.raises(ApiError) as refused:
            view.submit({"type": "noop"})
        assert refused.value.status == 403

    statuses = [
        httpx.get(f"{api.base_url}/api/v1/jobs", headers={"Authorization": f"Bearer {viewer_key}"})
        for _ in range(40)
    ]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and int(limited[0].headers["retry-after"]) > 0
