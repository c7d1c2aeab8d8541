"""Submitting jobs: batches, priorities, delays, idempotency, validation, events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from conveyor.engine.jobs import JobRejected, Jobs
from conveyor.engine.models import JobSpec
from conveyor.engine.queries import sql


async def test_batch_keeps_input_order_and_defaults(jobs: Jobs) -> None:
    specs = [JobSpec(type="echo", payload={"n": n}) for n in range(5)]
    results = await jobs.enqueue(specs)
    assert [job.payload["n"] for job, _ in results] == [0, 1, 2, 3, 4]
    assert all(created for _, created in results)
    job = results[0][0]
    assert (job.state, job.queue, job.attempts, job.max_attempts) == ("queued", "default", 0, 5)


async def test_future_run_at_is_scheduled(jobs: Jobs) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    [(job, _)] = await jobs.enqueue([JobSpec(type="noop", run_at=later)])
    assert job.state == "scheduled"
    assert job.run_at == later


async def test_same_idempotency_key_returns_the_existing_job(jobs: Jobs) -> None:
    [(first, created)] = await jobs.enqueue([JobSpec(type="noop", idempotency_key="k1")])
    [(again, created_again)] = await jobs.enqueue([JobSpec(type="noop", idempotency_key="k1")])
    assert created and not created_again
    assert again.id == first.id
    # A key repeated inside one batch also yields one job.
    results = await jobs.enqueue([JobSpec(type="noop", idempotency_key="k2")] * 3)
    assert len({job.id for job, _ in results}) == 1
    assert [c for _, c in results].count(True) == 1


async def test_concurrent_identical_submits_create_one_job(jobs: Jobs) -> None:
    async def submit() -> int:
        [(job, _)] = await jobs.enqueue([JobSpec(type="noop", idempotency_key="race")])
        return job.id

    ids = await asyncio.gather(*(submit() for _ in range(20)))
    assert len(set(ids)) == 1
    assert len(await jobs.page(limit=100)) == 1


async def test_idempotency_keys_are_namespaced_per_caller(jobs: Jobs) -> None:
    [(a, _)] = await jobs.enqueue([JobSpec(type="noop", idempotency_key="k")], key_namespace="u1:")
    [(b, _)] = await jobs.enqueue([JobSpec(type="noop", idempotency_key="k")], key_namespace="u2:")
    assert a.id != b.id


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        (JobSpec(type="nope"), "type", "unknown job type 'nope'"),
        (JobSpec(type="sleep", payload={"seconds": -1}), "payload.seconds", "greater than or equal"),
        (JobSpec(type="sleep", payload={}), "payload.seconds", "Field required"),
        (JobSpec(type="echo", payload={"blob": "x" * 300_000}), "payload", "over the 262144-byte limit"),
    ],
)
async def test_invalid_jobs_are_refused_naming_the_field(
    jobs: Jobs, spec: JobSpec, field: str, message: str
) -> None:
    with pytest.raises(JobRejected) as raised:
        await jobs.enqueue([spec])
    assert raised.value.errors[0]["field"] == field
    assert message in raised.value.errors[0]["message"]


async def test_one_bad_job_rejects_the_whole_batch(jobs: Jobs) -> None:
    with pytest.raises(JobRejected) as raised:
        await jobs.enqueue([JobSpec(type="noop"), JobSpec(type="nope")])
    assert raised.value.errors[0]["field"] == "jobs[1].type"
    assert await jobs.page() == []


async def test_insert_is_recorded_as_an_event(jobs: Jobs) -> None:
    [(job, _)] = await jobs.enqueue([JobSpec(type="noop")])
    [event] = await jobs.events(job.id)
    assert (event.from_state, event.to_state, event.attempt) == (None, "queued", 0)


async def test_every_query_file_parses_and_names_are_unique() -> None:
    names = sql.all
    assert {"enqueue", "claim", "complete", "heartbeat", "rescue_expired", "release"} <= names.keys()
    assert all(text.strip() for text in names.values())


async def test_reusing_a_key_for_a_different_job_is_refused_atomically(jobs: Jobs) -> None:
    from conveyor.engine.jobs import IdempotencyConflict

    await jobs.enqueue([JobSpec(type="echo", payload={"n": 1}, idempotency_key="k")])
    with pytest.raises(IdempotencyConflict, match="used for a different job"):
        await jobs.enqueue(
            [
                JobSpec(type="noop", idempotency_key="fresh"),
                JobSpec(type="echo", payload={"n": 2}, idempotency_key="k"),
            ]
        )
    assert len(await jobs.page()) == 1  # the batch's other job was not written either


async def test_unknown_type_lists_only_submittable_types(jobs: Jobs) -> None:
    with pytest.raises(JobRejected) as raised:
        await jobs.enqueue([JobSpec(type="nope")])
    known = raised.value.errors[0]["message"].split("known: ", 1)[1].split(", ")
    assert "echo" in known and "http" in known
    assert "webhook" not in known  # registered, but only Conveyor enqueues it
