"""No value a handler returns, no error it raises and no answer an outside server gives can stop
a worker from completing jobs (ADR 0013). Before the fix, one NUL in a
result made the completion batch unwritable and the completer retried it for ever."""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import BaseModel

from conveyor.engine.completer import Completer, Outcome
from conveyor.engine.jobs import Jobs
from conveyor.engine.models import Job, JobSpec
from conveyor.engine.storable import REPAIRED_KEY
from conveyor.handlers import JobContext, JobError, Registry, discover
from conveyor.store import webhooks
from conveyor.store.database import Pool
from tests.integration.test_worker import claim, finished
from tests.support import Answer, Received, eventually, recording_receiver


class Pick(BaseModel):
    name: str


def cycle() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


RESULTS: dict[str, Any] = {
    "nul": {"body": "a\x00b"},
    "lone_surrogate": {"body": "a\ud800b"},
    "nul_key": {"k\x00": 1},
    "nan": {"ratio": float("nan")},
    "infinities": [float("inf"), float("-inf")],
    "beyond_bigint": {"n": 2**64},
    "huge_int": {"n": 10**5000},
    "set": {"tags": {"a", "b"}},
    "object": {"when": object()},
    "cycle": {"loop": cycle()},
    "too_large": "x" * (5 * 1024 * 1024),
}
# (state, what the stored result must be: repaired value or None, or the error kind)
EXPECTED: dict[str, tuple[str, Any]] = {
    "nul": ("succeeded", {"body": "a\ufffdb"}),
    "lone_surrogate": ("succeeded", {"body": "a\ufffdb"}),
    "nul_key": ("succeeded", {"k\ufffd": 1}),
    "nan": ("succeeded", {"ratio": "NaN"}),
    "infinities": ("succeeded", ["Infinity", "-Infinity"]),
    "huge_int": ("succeeded", {"n": "<integer of 16,610 bits>"}),
    "set": ("dead", "unstorable_result"),
    "object": ("dead", "unstorable_result"),
    "cycle": ("dead", "unstorable_result"),
    "too_large": ("dead", "unstorable_result"),
}


class Raise(BaseModel):
    name: str


def hostile_str() -> Exception:
    class Hostile(Exception):
        def __str__(self) -> str:
            raise RuntimeError("str() refused")

    return Hostile()


def raising(name: str) -> Exception:
    return {
        "nul_message": JobError("upstream said a\x00b", retryable=False),
        "surrogate_message": JobError("upstream said a\udc00b", retryable=False),
        "huge_message": JobError("\x00" + "x" * 10_000_000, retryable=False),
        "huge_kind": JobError("refused", retryable=False, kind="k" * 1_000_000),
        "hostile_str": hostile_str(),
        # NaN or infinity as Retry-After used to reach make_interval() and fail the batch.
        "nan_retry_after": JobError("try again", retry_after=math.nan),
        "inf_retry_after": JobError("try again", retry_after=math.inf),
    }[name]


@pytest.fixture
def poison(jobs: Jobs) -> Registry:
    handlers = Registry()
    handlers.merge(discover())

    @handlers.handler("test.result")
    async def result(payload: Pick, ctx: JobContext) -> Any:
        return RESULTS[payload.name]

    @handlers.handler("test.raise")
    async def fail(payload: Raise, ctx: JobContext) -> Any:
        raise raising(payload.name)

    jobs.registry = handlers
    return handlers


async def test_poison_results_never_block_the_jobs_completed_with_them(
    jobs: Jobs, poison: Registry, start_worker: Any
) -> None:
    start_worker(handlers=poison)
    names = list(RESULTS)
    enqueued = await jobs.enqueue(
        [JobSpec(type="test.result", payload={"name": n}, max_attempts=3) for n in names]
        + [JobSpec(type="echo", payload={"after": "the poison"})]
    )
    done = {name: await finished(jobs, job.id) for name, (job, _) in zip(names, enqueued, strict=False)}
    assert (await finished(jobs, enqueued[-1][0].id, "succeeded")).result == {"after": "the poison"}

    assert done["beyond_bigint"].state == "succeeded"
    assert done["beyond_bigint"].result == {"n": 2**64}  # jsonb numbers are exact: nothing to repair
    for name, (state, expected) in EXPECTED.items():
        job = done[name]
        assert job.state == state, (name, job.last_error)
        if state == "succeeded":
            assert job.result is not None and job.result["value"] == expected, name
            assert job.result[REPAIRED_KEY], f"{name}: a repaired result says what changed"
        else:
            assert job.last_error and job.last_error["kind"] == expected, name
            assert job.attempts == 1, f"{name}: a result that cannot be stored is not retried"
    assert "a value of type set at $.tags" in done["set"].last_error["message"]  # type: ignore[index]
    assert "contains itself at $.loop[0]" in done["cycle"].last_error["message"]  # type: ignore[index]


async def test_poison_errors_never_block_the_jobs_completed_with_them(
    jobs: Jobs, poison: Registry, start_worker: Any
) -> None:
    start_worker(handlers=poison)
    names = [
        "nul_message",
        "surrogate_message",
        "huge_message",
        "huge_kind",
        "hostile_str",
        "nan_retry_after",
        "inf_retry_after",
    ]
    enqueued = await jobs.enqueue(
        [JobSpec(type="test.raise", payload={"name": n}, max_attempts=2) for n in names]
        + [JobSpec(type="echo", payload={"after": "the poison"})]
    )
    done = {name: await finished(jobs, job.id) for name, (job, _) in zip(names, enqueued, strict=False)}
    assert (await finished(jobs, enqueued[-1][0].id, "succeeded")).result == {"after": "the poison"}

    def error(name: str, attempts: int = 1) -> dict[str, Any]:
        job = done[name]
        assert job.state == "dead" and job.attempts == attempts and job.last_error, (name, job.state)
        return job.last_error

    assert error("nul_message")["message"] == "upstream said a\ufffdb"
    assert error("surrogate_message")["message"] == "upstream said a\ufffdb"
    huge = error("huge_message")
    assert len(huge["message"]) == 4001 and huge["message"].startswith("\ufffdxxx")
    assert "message: cut to 4000 of 10,000,001 characters" in huge["repaired"]
    assert error("huge_kind")["kind"] == "k" * 100 + "…"
    hostile = error("hostile_str", attempts=2)
    assert hostile["message"] == "Hostile: <Hostile whose str() raised RuntimeError>"
    for name in ("nan_retry_after", "inf_retry_after"):  # retried after the backoff instead
        assert error(name, attempts=2)["message"] == "try again"
    # The errors reached the job's events (and so webhooks) as stored.
    events = await jobs.events(done["nul_message"].id)
    assert [e.error["message"] for e in events if e.error] == ["upstream said a\ufffdb"]


async def test_a_row_the_database_refuses_is_failed_alone_and_the_rest_complete(
    jobs: Jobs, pool: Pool
) -> None:
    """Should something unforeseen still make the database refuse a row, the completer finds
    that row, records it as a failed attempt with the database's reason, and writes the rest."""
    from prometheus_client import REGISTRY

    def refused(action: str) -> float:
        return (
            REGISTRY.get_sample_value("conveyor_completer_outcomes_refused_total", {"action": action}) or 0.0
        )

    before = refused("recorded_as_failure")
    await jobs.enqueue([JobSpec(type="noop")] * 3)
    rows = sorted(await claim(pool, limit=3, worker_id="w-isolate"), key=lambda r: r["id"])
    completer = Completer(pool, "w-isolate")
    runner = asyncio.create_task(completer.run())
    try:
        good, bad, also_good = rows
        completer.submit(Outcome(good["id"], 1, "succeeded", result_json=b'{"ok": 1}'))
        # JSON text jsonb refuses, as if a handler's output had slipped past storable.py.
        completer.submit(Outcome(bad["id"], 1, "succeeded", result_json=b'"a\\u0000b"'))
        completer.submit(Outcome(also_good["id"], 1, "succeeded", result_json=b'{"ok": 3}'))
        assert await completer.flush(timeout=20), "the completer never wrote the batch"
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
    states = {r["id"]: await jobs.get(r["id"]) for r in rows}
    assert [(j.state, j.result) for j in states.values() if j] == [
        ("succeeded", {"ok": 1}),
        ("dead", None),
        ("succeeded", {"ok": 3}),
    ]
    error = states[bad["id"]].last_error  # type: ignore[union-attr]
    assert error and error["kind"] == "unstorable_outcome" and error["retryable"] is False
    assert "refused to store this attempt's outcome (succeeded): UntranslatableCharacter" in error["message"]
    assert refused("recorded_as_failure") == before + 1
    assert completer.problem is None


REFUSE_COMPLETIONS = """
CREATE FUNCTION conveyor.test_refuse_completions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'completions refused by a test trigger'; END $$;
CREATE TRIGGER test_refuse_completions BEFORE UPDATE ON conveyor.jobs FOR EACH ROW
    WHEN (OLD.state = 'running' AND NEW.state <> 'running')
    EXECUTE FUNCTION conveyor.test_refuse_completions();
"""
ALLOW_COMPLETIONS = """
DROP TRIGGER IF EXISTS test_refuse_completions ON conveyor.jobs;
DROP FUNCTION IF EXISTS conveyor.test_refuse_completions();
"""


@contextlib.contextmanager
def completions_refused(database_url: str) -> Iterator[None]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(REFUSE_COMPLETIONS)
    try:
        yield
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(ALLOW_COMPLETIONS)


def metric(base_url: str, name: str) -> float:
    text = httpx.get(f"{base_url}/metrics", timeout=5).text
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_a_worker_whose_completer_cannot_write_is_not_ready_until_it_can(
    jobs: Jobs, spawn: Any, database_url: str
) -> None:
    worker = spawn("worker", env={"CONVEYOR_WORKER_POLL_INTERVAL": "0.2"}).wait_ready()
    with completions_refused(database_url):
        [(job, _)] = await jobs.enqueue([JobSpec(type="noop")])

        async def not_ready() -> httpx.Response | None:
            async with httpx.AsyncClient() as client:
                answer = await client.get(f"{worker.base_url}/readyz", timeout=5)
            return answer if answer.status_code == 503 else None

        answer = await eventually(not_ready, timeout=30, what="the worker to report not ready")
        assert "cannot write job outcomes" in answer.json()["detail"]
        assert "completions refused by a test trigger" in answer.json()["detail"]
        assert "CONTEXT" not in answer.json()["detail"]  # the probe never quotes the data written
        assert metric(worker.base_url, "conveyor_completer_write_failures_total") >= 3
        assert metric(worker.base_url, "conveyor_completer_backlog") == 1
        running = await jobs.get(job.id)
        assert running and running.state == "running"  # kept, not dropped: the cause is not the row
    assert (await finished(jobs, job.id, "succeeded")).result is None
    worker.wait_ready()


# An outside server whose answers carry what PostgreSQL cannot store.
ANSWERS: dict[str, tuple[str, bytes]] = {
    "/nul": ("text/plain", b"a\x00b"),
    "/utf7": ("text/plain; charset=utf-7", b"a+2AA-b"),  # decodes to a lone surrogate
    "/fine": ("text/plain", b"fine"),
}


def unstorable(request: Received, _before: int) -> Answer:
    content_type, body = ANSWERS.get(request.path.split("?")[0], ANSWERS["/nul"])
    return 200, {"Content-Type": content_type}, body


@pytest.fixture
def target() -> Iterator[str]:
    with recording_receiver(unstorable) as server:
        yield server.url


WORKER_ENV = {
    "CONVEYOR_HTTP_ALLOW": "127.0.0.1",
    "CONVEYOR_WORKER_POLL_INTERVAL": "0.2",
    "CONVEYOR_BACKOFF_BASE_SECONDS": "0.1",
    "CONVEYOR_BACKOFF_MAX_SECONDS": "0.2",
}


async def test_outside_answers_with_nul_or_lone_surrogates_are_stored_repaired(
    jobs: Jobs, pool: Pool, spawn: Any, target: str
) -> None:
    """The built-in http job type and webhook deliveries, in a real worker process, against a
    real server answering what PostgreSQL cannot store."""
    spawn("worker", env=WORKER_ENV).wait_ready()
    endpoint = await webhooks.create(
        pool,
        url=f"{target}/nul",
        events=["job.succeeded"],
        description="a receiver answering with a NUL byte",
        enabled=True,
        created_by=None,
    )
    paths = ["/nul", "/utf7", "/fine"]
    enqueued = await jobs.enqueue(
        [JobSpec(type="http", payload={"url": target + p, "method": "GET"}) for p in paths]
    )
    nul, utf7, fine = [(await finished(jobs, job.id, "succeeded")).result for job, _ in enqueued]
    assert nul == {
        REPAIRED_KEY: ["$.body: 1 NUL character(s) replaced with U+FFFD"],
        "value": {"status": 200, "body": "a\ufffdb"},
    }
    assert utf7 == {
        REPAIRED_KEY: ["$.body: 1 unpaired surrogate character(s) replaced with U+FFFD"],
        "value": {"status": 200, "body": "a\ufffdb"},
    }
    assert fine == {"status": 200, "body": "fine"}

    async def deliveries() -> list[Job] | None:
        rows = await webhooks.deliveries(pool, endpoint["id"], before_id=None, limit=10)
        done = [Job.model_validate(row) for row in rows if row["state"] == "succeeded"]
        return done if len(done) == len(paths) else None

    # Each of the three successes was delivered to the receiver, whose answer is stored repaired.
    delivered = await eventually(deliveries, timeout=30, what="the deliveries to be recorded")
    assert [d.result for d in delivered] == [nul] * len(paths)
    # And the worker goes on completing jobs.
    await webhooks.update(pool, endpoint["id"], {"enabled": False})
    [(later, _)] = await jobs.enqueue([JobSpec(type="echo", payload={"later": True})])
    assert (await finished(jobs, later.id, "succeeded")).result == {"later": True}
