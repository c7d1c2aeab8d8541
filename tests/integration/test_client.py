"""The typed clients against a real API process."""

from __future__ import annotations

import pytest

from conveyor.client import ApiError, AsyncClient, Calls, Client
from conveyor.engine.models import Job, JobSpec
from tests.support import Process


def test_sync_client_round_trip(api_server: Process, admin_key: str) -> None:
    with Client(api_server.base_url, admin_key) as conveyor:
        job = conveyor.submit(JobSpec(type="echo", payload={"n": 1}), idempotency_key="c-1")
        assert isinstance(job, Job) and job.state == "queued"
        assert conveyor.submit({"type": "echo", "payload": {"n": 1}}, idempotency_key="c-1").id == job.id
        assert conveyor.get_job(job.id).payload == {"n": 1}
        assert [e.to_state for e in conveyor.job_events(job.id)] == ["queued"]
        assert conveyor.list_jobs(type="echo").items[0].id == job.id
        assert conveyor.cancel(job.id).state == "cancelled"
        assert conveyor.call(Calls.pause_queue("default")).paused is True
        assert conveyor.me().role == "admin"
        with pytest.raises(ApiError) as raised:
            conveyor.submit({"type": "sleep", "payload": {"seconds": "x"}})
        assert raised.value.status == 422
        assert raised.value.problem["errors"][0]["field"] == "payload.seconds"


async def test_async_client_round_trip(api_server: Process, admin_key: str) -> None:
    async with AsyncClient(api_server.base_url, admin_key) as conveyor:
        batch = await conveyor.submit_batch([{"type": "noop"}, {"type": "noop", "queue": "b"}])
        assert batch.created == [True, True]
        schedule = await conveyor.create_schedule({"name": "s", "cron": "@every 1m", "job": {"type": "noop"}})
        assert [s.id for s in (await conveyor.list_schedules()).items] == [schedule.id]
        await conveyor.delete_schedule(schedule.id)
        assert {q.name for q in await conveyor.queues()} >= {"default", "b"}
    async with AsyncClient(api_server.base_url, "cvk_forged_key") as intruder:
        with pytest.raises(ApiError) as raised:
            await intruder.me()
        assert raised.value.status == 401
