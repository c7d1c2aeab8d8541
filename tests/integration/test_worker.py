"""The worker and the engine's guarantees: claims, retries, dead-letter, timeouts, leases,
cancellation, pause and concurrency limits."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from conveyor.engine.jobs import Jobs, StateConflict
from conveyor.engine.maintenance import Maintenance, MaintenanceConfig
from conveyor.engine.models import Job, JobSpec
from conveyor.engine.queries import sql
from conveyor.engine.queues import Queues
from conveyor.handlers import JobContext, Registry, discover
from conveyor.store.database import Pool, fetch_all
from tests.support import eventually


class Add(BaseModel):
    a: int
    b: int


async def finished(jobs: Jobs, job_id: int, state: str | None = None, timeout: float = 20) -> Job:
    async def check() -> Job | None:
        job = await jobs.get(job_id)
        assert job is not None
        done = job.state in ("succeeded", "dead", "cancelled")
        return job if done and (state is None or job.state == state) else None

    job: Job = await eventually(check, timeout=timeout, what=f"job {job_id} to finish")
    return job


async def claim(
    pool: Pool, queue: str = "default", limit: int = 10, lease: float = 30, worker_id: str = "w1"
) -> list[dict[str, Any]]:
    return await fetch_all(
        pool, sql("claim"), queue=queue, limit=limit, worker_id=worker_id, lease_seconds=lease
    )


async def test_job_runs_and_records_result_and_events(jobs: Jobs, start_worker: Any) -> None:
    start_worker()
    [(job, _)] = await jobs.enqueue([JobSpec(type="echo", payload={"hello": "world"})])
    done = await finished(jobs, job.id, "succeeded")
    assert done.result == {"hello": "world"}
    assert done.attempts == 1 and done.started_at and done.finished_at
    events = await jobs.events(job.id)
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, "queued"),
        ("queued", "running"),
        ("running", "succeeded"),
    ]
    assert events[1].wait_seconds is not None and events[2].run_seconds is not None
    assert events[2].worker_id is not None


async def test_claims_highest_priority_then_oldest(jobs: Jobs, pool: Pool) -> None:
    results = await jobs.enqueue(
        [
            JobSpec(type="noop", priority=0),
            JobSpec(type="noop", priority=5),
            JobSpec(type="noop", priority=0),
            JobSpec(type="noop", priority=-3),
        ]
    )
    ids = [job.id for job, _ in results]
    # One at a time: the order is in what a claim picks; rows an UPDATE returns come in the
    # plan's order, which is not the ORDER BY's (a batch claim returned them by id at times).
    claimed = [row["id"] for _ in ids for row in await claim(pool, limit=1)]
    assert claimed == [ids[1], ids[0], ids[2], ids[3]]


async def test_concurrent_claims_never_share_a_job(jobs: Jobs, pool: Pool) -> None:
    await jobs.enqueue([JobSpec(type="noop")] * 200)
    batches = await asyncio.gather(*(claim(pool, limit=30, worker_id=f"w{i}") for i in range(8)))
    ids = [row["id"] for batch in batches for row in batch]
    assert len(ids) == len(set(ids)) == 200


async def test_delayed_job_is_not_claimed_before_it_is_due(jobs: Jobs, pool: Pool) -> None:
    from datetime import UTC, datetime, timedelta

    await jobs.enqueue([JobSpec(type="noop", run_at=datetime.now(UTC) + timedelta(seconds=0.5))])
    assert await claim(pool) == []
    assert await eventually(lambda: claim(pool), timeout=5, what="delayed job to become due")


async def test_failures_retry_with_backoff_then_dead_letter(jobs: Jobs, start_worker: Any) -> None:
    start_worker()
    [(flaky, _)] = await jobs.enqueue([JobSpec(type="fail", payload={"times": 2}, max_attempts=3)])
    [(doomed, _)] = await jobs.enqueue([JobSpec(type="fail", payload={"times": 9}, max_attempts=3)])
    assert (await finished(jobs, flaky.id, "succeeded")).result == {"succeeded_on_attempt": 3}
    dead = await finished(jobs, doomed.id, "dead")
    assert dead.attempts == 3
    assert dead.last_error and dead.last_error["attempt"] == 3
    states = [e.to_state for e in await jobs.events(doomed.id)]
    assert states == ["queued", "running", "retrying", "running", "retrying", "running", "dead"]


async def test_non_retryable_error_goes_straight_to_dead_letter(jobs: Jobs, start_worker: Any) -> None:
    start_worker()
    [(job, _)] = await jobs.enqueue([JobSpec(type="fail", payload={"times": 5, "retryable": False})])
    dead = await finished(jobs, job.id, "dead")
    assert dead.attempts == 1


async def test_replay_from_dead_letter_one_and_by_filter(jobs: Jobs, start_worker: Any) -> None:
    # Fails once, then succeeds: with max_attempts=1 it lands in the dead-letter queue first.
    specs = [JobSpec(type="fail", payload={"times": 1}, max_attempts=1, queue=q) for q in ("a", "a", "b")]
    results = await jobs.enqueue(specs)
    start_worker(queues=["a", "b"])
    for job, _ in results:
        await finished(jobs, job.id, "dead")
    replayed = await jobs.retry(results[2][0].id)
    assert (replayed.state, replayed.attempts) == ("queued", 0)
    ids = await jobs.replay_dead(queue="a")
    assert sorted(ids) == sorted(job.id for job, _ in results[:2])
    for job, _ in results:
        # attempt numbers restart: the handler's "fail once" fails again on attempt 1, so these
        # go dead again; what matters is that each replay ran a fresh attempt.
        again = await finished(jobs, job.id)
        assert again.attempts == 1
    assert await jobs.replay_dead(queue="zzz") == []
    with pytest.raises(StateConflict):
        await jobs.retry((await jobs.enqueue([JobSpec(type="noop", queue="c")]))[0][0].id)


async def test_timeout_fails_the_attempt_and_retries(jobs: Jobs, start_worker: Any) -> None:
    start_worker()
    [(job, _)] = await jobs.enqueue(
        [JobSpec(type="sleep", payload={"seconds": 5}, timeout_seconds=0.2, max_attempts=2)]
    )
    dead = await finished(jobs, job.id, "dead")
    assert dead.attempts == 2
    assert dead.last_error and dead.last_error["kind"] == "timeout"


async def test_sync_handlers_run_in_a_thread(jobs: Jobs, start_worker: Any) -> None:
    custom = Registry()
    custom.merge(discover())
    threads: list[str] = []

    @custom.handler("test.add")
    def add(payload: Add, ctx: JobContext) -> int:
        threads.append(threading.current_thread().name)
        return payload.a + payload.b

    start_worker(handlers=custom)
    jobs.registry = custom
    [(job, _)] = await jobs.enqueue([JobSpec(type="test.add", payload={"a": 2, "b": 3})])
    assert (await finished(jobs, job.id, "succeeded")).result == 5
    assert threads and threads[0] != threading.main_thread().name


async def test_expired_lease_returns_the_job_to_the_queue(jobs: Jobs, pool: Pool) -> None:
    [(job, _)] = await jobs.enqueue([JobSpec(type="noop", max_attempts=2)])
    [row] = await claim(pool, lease=0.1, worker_id="crashed")
    maintenance = Maintenance(pool, MaintenanceConfig(retention_succeeded=0, retention_failed=0, notify=True))
    assert await eventually(maintenance.rescue, what="the lease to expire and the job rescued") == 1
    rescued = await jobs.get(job.id)
    assert rescued and rescued.state == "retrying" and rescued.attempts == 1
    assert rescued.last_error and rescued.last_error["kind"] == "lease_expired"
    # The second (last) attempt is also abandoned: the job is dead-lettered, not looped forever.
    [row] = await claim(pool, lease=0.1, worker_id="crashed-again")
    assert row["attempts"] == 2
    await eventually(maintenance.rescue, what="the second lease to expire")
    assert (await jobs.get(job.id)).state == "dead"  # type: ignore[union-attr]


async def test_completion_from_a_worker_that_lost_its_lease_is_ignored(jobs: Jobs, pool: Pool) -> None:
    from conveyor.engine.completer import Completer, Outcome

    [(job, _)] = await jobs.enqueue([JobSpec(type="noop")])
    await claim(pool, lease=0.05, worker_id="slow")
    await eventually(
        Maintenance(pool, MaintenanceConfig(0, 0, True)).rescue, what="the slow worker's lease rescued"
    )
    await claim(pool, worker_id="fresh")
    completer = Completer(pool, "slow")
    await completer._write([Outcome(job.id, 1, "succeeded", result_json=b'"stale"')])
    current = await jobs.get(job.id)
    assert current and current.state == "running" and current.result is None


async def test_cancel_queued_job_is_immediate(jobs: Jobs) -> None:
    [(job, _)] = await jobs.enqueue([JobSpec(type="noop")])
    cancelled = await jobs.cancel(job.id)
    assert cancelled.state == "cancelled" and cancelled.finished_at
    with pytest.raises(StateConflict, match="it is cancelled"):
        await jobs.cancel(job.id)
    with pytest.raises(LookupError):
        await jobs.cancel(999_999)


async def test_cancel_running_job_reaches_the_handler(jobs: Jobs, start_worker: Any) -> None:
    start_worker(lease_seconds=0.6)  # heartbeat (and so cancel delivery) every 0.2 s
    [(job, _)] = await jobs.enqueue([JobSpec(type="sleep", payload={"seconds": 60})])

    async def running() -> bool:
        current = await jobs.get(job.id)
        return current is not None and current.state == "running"

    await eventually(running, what="job to start")
    requested = await jobs.cancel(job.id)
    assert requested.state == "running" and requested.cancel_requested
    done = await finished(jobs, job.id, "cancelled", timeout=5)
    assert done.last_error and done.last_error["kind"] == "cancelled"


async def activity(pool: Pool) -> list[dict[str, Any]]:
    """What every session of the server is doing (pg_stat_activity)."""
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT application_name, wait_event_type, query FROM pg_stat_activity")
        return await cursor.fetchall()


async def waiting_on_a_lock(pool: Pool) -> bool:
    return any(s["wait_event_type"] == "Lock" for s in await activity(pool))


async def listening(pool: Pool) -> bool:
    return any(
        s["application_name"] == "conveyor-listener" and (s["query"] or "").startswith("LISTEN")
        for s in await activity(pool)
    )


async def test_job_claimed_while_a_heartbeat_is_in_flight_is_not_taken_for_lost(
    jobs: Jobs, start_worker: Any, pool: Pool
) -> None:
    """The heartbeat renews the leases it asked about; a batch claimed during its round trip
    was not in the question and must keep running (it was once cancelled as 'lost')."""
    start_worker(lease_seconds=0.6)  # heartbeat every 0.2 s
    [(slow, _)] = await jobs.enqueue([JobSpec(type="sleep", payload={"seconds": 2})])

    async def running(job_id: int) -> bool:
        current = await jobs.get(job_id)
        return current is not None and current.state == "running"

    await eventually(lambda: running(slow.id), what="the slow job to start")
    async with pool.connection() as blocker, blocker.transaction():
        # The next heartbeat's UPDATE waits on this row lock: a heartbeat in flight.
        await blocker.execute("SELECT 1 FROM conveyor.jobs WHERE id = %s FOR UPDATE", [slow.id])
        await eventually(lambda: waiting_on_a_lock(pool), what="the heartbeat to wait on the row lock")
        [(late, _)] = await jobs.enqueue([JobSpec(type="sleep", payload={"seconds": 0.5})])
        await eventually(lambda: running(late.id), what="the late job to be claimed")
        await asyncio.sleep(0.2)
    done = await finished(jobs, late.id, timeout=10)
    assert (done.state, done.attempts) == ("succeeded", 1)
    assert (await finished(jobs, slow.id, timeout=10)).state == "succeeded"


async def test_paused_queue_is_not_claimed_until_resumed(jobs: Jobs, queues: Queues, pool: Pool) -> None:
    await queues.update("default", paused=True)
    await jobs.enqueue([JobSpec(type="noop")])
    assert await claim(pool) == []
    await queues.update("default", paused=False)
    assert len(await claim(pool)) == 1


async def test_concurrency_limit_holds_across_workers(
    jobs: Jobs, queues: Queues, start_worker: Any, pool: Pool
) -> None:
    await queues.update("default", concurrency_limit=2, set_limit=True)
    results = await jobs.enqueue([JobSpec(type="sleep", payload={"seconds": 0.3})] * 8)
    for _ in range(3):
        start_worker(concurrency=5)
    peak = 0
    while True:
        async with pool.connection() as conn:
            row = await (
                await conn.execute(
                    "SELECT count(*) FILTER (WHERE state = 'running') AS running,"
                    " count(*) FILTER (WHERE state = 'succeeded') AS done FROM conveyor.jobs"
                )
            ).fetchone()
        assert row is not None
        peak = max(peak, row["running"])
        if row["done"] == len(results):
            break
        await asyncio.sleep(0.02)
    assert peak == 2


async def test_retention_deletes_only_old_finished_jobs(jobs: Jobs, pool: Pool) -> None:
    results = await jobs.enqueue([JobSpec(type="noop")] * 4)
    ids = [job.id for job, _ in results]
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE conveyor.jobs SET state = 'succeeded', finished_at = now() - interval '2 days'"
            " WHERE id = ANY(%s)",
            [ids[:2]],
        )
        await conn.execute(
            "UPDATE conveyor.jobs SET state = 'dead', finished_at = now() - interval '2 days' WHERE id = %s",
            [ids[2]],
        )
    maintenance = Maintenance(
        pool, MaintenanceConfig(retention_succeeded=86400, retention_failed=0, notify=False)
    )
    assert await maintenance.clean() == 2
    remaining = {job.id for job in await jobs.page()}
    assert remaining == {ids[2], ids[3]}  # dead kept forever (retention 0), queued untouched
    assert await jobs.events(ids[0]) == []


async def test_notify_wakes_an_idle_worker_long_before_its_poll(
    jobs: Jobs, start_worker: Any, pool: Pool
) -> None:
    start_worker(poll_interval=60)
    await eventually(lambda: listening(pool), what="the worker to LISTEN")  # its one poll is behind it
    [(job, _)] = await jobs.enqueue([JobSpec(type="noop")])
    await finished(jobs, job.id, "succeeded", timeout=10)  # a 60 s poll would miss this


async def test_polling_alone_works_with_notify_off(jobs: Jobs, start_worker: Any) -> None:
    start_worker(listen_url=None, poll_interval=0.1)
    await asyncio.sleep(0.3)
    [(job, _)] = await jobs.enqueue([JobSpec(type="noop")])
    await finished(jobs, job.id, "succeeded", timeout=10)


async def test_queue_rate_limit_holds_across_workers(
    jobs: Jobs, queues: Queues, start_worker: Any, pool: Pool
) -> None:
    await queues.update("default", rate_limit=10, set_rate=True)
    results = await jobs.enqueue([JobSpec(type="noop")] * 30)
    for _ in range(2):
        start_worker(concurrency=20)
    for job, _ in results:
        await finished(jobs, job.id, "succeeded", timeout=20)
    async with pool.connection() as conn:
        starts = [
            r["at"]
            for r in await (
                await conn.execute(
                    "SELECT at FROM conveyor.job_events WHERE to_state = 'running' ORDER BY at"
                )
            ).fetchall()
        ]
    # Token bucket: at most one second's worth (10) at once, then 10 per second. In any one-second
    # window that is at most 10 + 10 starts; without the limit all 30 start within milliseconds.
    busiest = max(sum(1 for t in starts if s <= t < s + timedelta(seconds=1)) for s in starts)
    assert busiest <= 20
    assert (starts[-1] - starts[0]).total_seconds() >= 1.5


async def test_queue_gauges_show_zero_running_for_a_queue_with_work(jobs: Jobs, pool: Pool) -> None:
    from prometheus_client import REGISTRY

    await jobs.enqueue([JobSpec(type="noop", queue="stalled"), JobSpec(type="noop", queue="busy")] * 2)
    await claim(pool, queue="busy", limit=1)
    await Maintenance(pool, MaintenanceConfig(0, 0, True)).export_queue_stats()

    def running(queue: str) -> float | None:
        return REGISTRY.get_sample_value("conveyor_jobs_running", {"queue": queue})

    # A stalled queue reads 0 (alerts and dashboards see it), not a missing series.
    assert running("stalled") == 0 and running("busy") == 1


async def test_maintenance_counters_exist_at_zero_before_the_first_rescue(pool: Pool) -> None:
    """Prometheus' increase() needs a sample before a burst: the rescue counter is exported at
    0 from the start, so the first burst of rescued leases is seen (ConveyorLeaseRescuesSpiking)."""
    from prometheus_client import REGISTRY, generate_latest

    from conveyor.telemetry import metrics

    metrics.maintenance_rows.clear()  # as in a fresh scheduler process: no series yet
    Maintenance(pool, MaintenanceConfig(0, 0, True))
    exported = generate_latest(REGISTRY).decode()
    for task in ("rescue", "promote", "cleanup"):
        assert f'conveyor_maintenance_rows_total{{task="{task}"}}' in exported
