"""The typed clients against a real API process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conveyor.client import ApiError, AsyncClient, Calls, Client
from conveyor.engine.models import Job, JobSpec
from tests.support import REPO, Process, process_env


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


def test_text_from_undecodable_bytes_is_refused_by_the_api_naming_the_field(
    api_server: Process, admin_key: str
) -> None:
    # A command line's non-UTF-8 bytes arrive in Python as lone surrogates; the client sends them
    # escaped, and the API says which field, instead of the client crashing while encoding.
    with Client(api_server.base_url, admin_key) as conveyor, pytest.raises(ApiError) as raised:
        conveyor.submit({"type": "echo", "payload": {"note": "caf\udce9"}})
    assert raised.value.status == 422
    assert raised.value.problem["errors"][0]["field"] == "payload"


def test_the_cli_refuses_undecodable_arguments_naming_the_option(
    api_server: Process, admin_key: str, database_url: str, tmp_path: Path
) -> None:
    env = process_env(database_url, CONVEYOR_API_URL=api_server.base_url, CONVEYOR_API_KEY=admin_key)
    env["CONVEYOR_HOME"] = str(tmp_path)

    def conveyor(*args: str | bytes) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "conveyor", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            check=False,
        )

    direct = conveyor("admin", "create-key", "--email", b"caf\xe9@example.com")  # writes to the database
    assert direct.returncode == 2 and "--email" in direct.stderr and "Traceback" not in direct.stderr
    through_api = conveyor("jobs", "submit", "echo", "-p", b'{"note": "caf\xe9"}')
    assert through_api.returncode == 1 and "payload" in through_api.stderr
    assert "Traceback" not in through_api.stderr


def test_the_cli_prints_each_field_error_once(api_server: Process, admin_key: str, database_url: str) -> None:
    env = process_env(database_url, CONVEYOR_API_URL=api_server.base_url, CONVEYOR_API_KEY=admin_key)
    refused = subprocess.run(
        [sys.executable, "-m", "conveyor", "jobs", "submit", "nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert lines[0].startswith("error: 422: Unprocessable")  # the HTTP phrase, not the errors again
    assert len(lines) == 2 and lines[1].startswith("  type: unknown job type 'nope'")
