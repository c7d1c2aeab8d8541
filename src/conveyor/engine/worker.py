"""The worker: claims jobs in batches, runs them, renews their leases, records outcomes.

Parts (River's shape): the *producer* claims due jobs when slots are free, woken by NOTIFY or
by the poll timer; each job runs as its own task (the *executor*); the *heartbeat* renews the
leases of running jobs and passes cancel requests to handlers; the *completer* writes
outcomes in batches. Shutdown: stop claiming, let running jobs finish within the grace
period, then give the rest back to the queue at once (no waiting for lease expiry).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import secrets
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import structlog
from opentelemetry import trace

from conveyor.engine.backoff import retry_delay
from conveyor.engine.completer import Completer, Outcome
from conveyor.engine.notifier import listen
from conveyor.engine.queries import sql
from conveyor.engine.storable import UnstorableResult, describe, encode_result, error_record
from conveyor.handlers import JobContext, JobError, PayloadError, PermanentError, Registry, UnknownJobType
from conveyor.store.database import Pool, execute, fetch_all, fetch_one
from conveyor.telemetry import metrics
from conveyor.telemetry.tracing import context_from, tracer

log = structlog.get_logger("conveyor.worker")


@dataclass(frozen=True)
class WorkerConfig:
    queues: list[str]
    concurrency: int = 20
    batch_size: int = 100
    poll_interval: float = 1.0
    lease_seconds: float = 30.0
    shutdown_grace: float = 25.0
    backoff_base: float = 1.0
    backoff_max: float = 3600.0
    listen_url: str | None = None  # None: no LISTEN, poll only
    # After a wake-up, wait this long so slots freed together are claimed in one round trip.
    fetch_cooldown: float = 0.001
    # How often the worker announces itself (conveyor.workers: slots and busy slots).
    presence_interval: float = 5.0


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class Running:
    task: asyncio.Task[None]
    ctx: JobContext


class Worker:
    def __init__(
        self, pool: Pool, registry: Registry, config: WorkerConfig, worker_id: str | None = None
    ) -> None:
        self.pool = pool
        self.registry = registry
        self.config = config
        self.worker_id = worker_id or new_worker_id()
        self.running: dict[int, Running] = {}
        self._wake = asyncio.Event()
        self.completer = Completer(pool, self.worker_id, on_written=self._wake.set)
        self._stop_claiming = asyncio.Event()
        self._limited_queues: set[str] = set()
        self._threads = ThreadPoolExecutor(config.concurrency, thread_name_prefix="conveyor-job")
        metrics.worker_slots.set(config.concurrency)

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then shut down gracefully."""
        log.info(
            "worker_started",
            worker_id=self.worker_id,
            queues=self.config.queues,
            concurrency=self.config.concurrency,
        )
        background = [
            asyncio.create_task(self.completer.run(), name="completer"),
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
            asyncio.create_task(self._presence_loop(), name="presence"),
        ]
        if self.config.listen_url:
            background.append(
                asyncio.create_task(
                    listen(self.config.listen_url, self._on_notify, self._stop_claiming), name="listener"
                )
            )
        producer = asyncio.create_task(self._produce(), name="producer")
        await stop.wait()
        self._stop_claiming.set()
        self._wake.set()
        # A claim in flight normally returns in milliseconds; with the database down it could
        # wait for the pool timeout, so give up on it after a moment (should a claim have gone
        # through unseen, its leases expire and the rescuer returns those jobs).
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(producer, timeout=2.0)
        await self._drain()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await self._announce("worker_gone", {"id": self.worker_id})
        self._threads.shutdown(wait=False, cancel_futures=True)
        log.info("worker_stopped", worker_id=self.worker_id)

    async def _drain(self) -> None:
        grace = self.config.shutdown_grace
        in_flight = [r.task for r in self.running.values()]
        if in_flight:
            log.info("worker_draining", jobs=len(in_flight), grace_seconds=grace)
            _, unfinished = await asyncio.wait(in_flight, timeout=grace) if grace else (None, set(in_flight))
        else:
            unfinished = set()
        leftover = [job_id for job_id, r in self.running.items() if r.task in unfinished]
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        await self.completer.flush(timeout=max(grace, 5.0))
        if leftover:
            await self._release(leftover)

    async def _release(self, ids: list[int]) -> None:
        try:
            rows = await fetch_all(
                self.pool,
                sql("release"),
                ids=ids,
                worker_id=self.worker_id,
                notify=bool(self.config.listen_url),
            )
            log.info("jobs_released", count=len(rows))
        except Exception as exc:  # the leases expire and the rescuer returns them instead
            log.error("release_failed", error=str(exc), count=len(ids))

    # -- producer ----------------------------------------------------------------------------

    def _on_notify(self, queue: str) -> None:
        if queue in self.config.queues:
            self._wake.set()

    @property
    def free_slots(self) -> int:
        # The next claim overlaps the completer's write of the last batch (measured: ~1.5x the
        # burn-down rate of waiting for it, docs/benchmarks.md), but no further: outcomes
        # beyond one batch's worth still waiting to be written count as busy, so a slow
        # database holds back claims instead of piling up unwritten work.
        unwritten = max(0, self.completer.backlog - self.config.concurrency)
        return self.config.concurrency - len(self.running) - unwritten

    async def _produce(self) -> None:
        failures = 0
        limits_checked = 0.0
        while not self._stop_claiming.is_set():
            self._wake.clear()
            saturated = False
            try:
                if time.monotonic() - limits_checked > self.config.poll_interval:
                    await self._refresh_queue_limits()
                    limits_checked = time.monotonic()
                for queue in self.config.queues:
                    want = min(self.free_slots, self.config.batch_size)
                    if want <= 0:
                        break
                    claimed = await self._claim(queue, want)
                    for row in claimed:
                        self._start(row)
                    saturated |= len(claimed) == want
                failures = 0
            except Exception as exc:
                failures += 1
                delay = min(10.0, 0.2 * 2**failures)
                log.warning("claim_failed", error=str(exc), retry_in=delay)
                await self._sleep_or_stop(delay)
                continue
            if saturated and self.free_slots > 0:
                await self._sleep_or_stop(self.config.fetch_cooldown)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.poll_interval)
            await self._sleep_or_stop(self.config.fetch_cooldown)

    async def _sleep_or_stop(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_claiming.wait(), seconds)

    async def _refresh_queue_limits(self) -> None:
        limited = set()
        async with self.pool.connection() as conn:
            for queue in self.config.queues:
                row = await fetch_one(conn, sql("queue_limit"), queue=queue)
                if row and (row["concurrency_limit"] is not None or row["rate_limit"] is not None):
                    limited.add(queue)
        self._limited_queues = limited

    async def _claim(self, queue: str, want: int) -> list[dict[str, Any]]:
        params = {
            "queue": queue,
            "limit": want,
            "worker_id": self.worker_id,
            "lease_seconds": self.config.lease_seconds,
        }
        async with self.pool.connection() as conn:
            if queue not in self._limited_queues:
                return await fetch_all(conn, sql("claim"), **params)
            async with conn.transaction():
                await execute(conn, sql("lock_queue"), queue=queue)
                claimed = await fetch_all(conn, sql("claim"), **params)
                await execute(conn, sql("spend_queue_tokens"), queue=queue, claimed=len(claimed))
                return claimed

    # -- executor ----------------------------------------------------------------------------

    def _start(self, row: dict[str, Any]) -> None:
        ctx = JobContext(
            job_id=row["id"],
            attempt=row["attempts"],
            max_attempts=row["max_attempts"],
            queue=row["queue"],
            type=row["type"],
            pool=self.pool,
        )
        wait = (row["started_at"] - row["run_at"]).total_seconds()
        metrics.job_queue_wait.labels(row["queue"], row["type"]).observe(max(wait, 0.0))
        task = asyncio.create_task(self._execute(row, ctx), name=f"job-{row['id']}")
        self.running[row["id"]] = Running(task, ctx)
        metrics.worker_slots_busy.set(len(self.running))

    async def _execute(self, row: dict[str, Any], ctx: JobContext) -> None:
        job_id, queue, job_type = row["id"], row["queue"], row["type"]
        structlog.contextvars.bind_contextvars(job_id=job_id)
        started = time.perf_counter()
        outcome: Outcome | None = None
        try:
            with tracer.start_as_current_span(
                f"job {job_type}",
                context=context_from(row["trace_context"]),
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "conveyor.job.id": job_id,
                    "conveyor.job.queue": queue,
                    "conveyor.job.type": job_type,
                    "conveyor.job.attempt": ctx.attempt,
                },
            ) as span:
                outcome = await self._attempt(row, ctx)
                if outcome.state != "succeeded":
                    span.set_status(trace.StatusCode.ERROR, (outcome.error or {}).get("message", ""))
        finally:
            elapsed = time.perf_counter() - started
            self.running.pop(job_id, None)
            metrics.worker_slots_busy.set(len(self.running))
            if outcome is not None:  # None: cancelled by shutdown or a lost lease
                metrics.job_run_duration.labels(queue, job_type).observe(elapsed)
                metrics.jobs_completed.labels(queue, job_type, outcome.state).inc()
                self.completer.submit(outcome)
                self._wake.set()
            structlog.contextvars.unbind_contextvars("job_id")

    async def _attempt(self, row: dict[str, Any], ctx: JobContext) -> Outcome:
        try:
            handler = self.registry.get(row["type"])
            payload = handler.parse(row["payload"])
            # A timeout scope, not wait_for: no second task per job, and the handler runs in
            # the job's own task and context (its log lines carry the job id).
            async with asyncio.timeout(row["timeout_seconds"]):
                result = await handler.run(payload, ctx, self._threads)
            result_json = encode_result(result)
        except UnstorableResult as exc:
            # The same handler would return the same value again: retrying cannot help.
            return self._failure(row, ctx, PermanentError(str(exc), kind="unstorable_result"))
        except TimeoutError:
            return self._failure(
                row, ctx, JobError(f"timed out after {row['timeout_seconds']:g}s", kind="timeout")
            )
        except UnknownJobType:
            return self._failure(
                row,
                ctx,
                JobError(
                    f"this worker has no handler for job type {row['type']!r}",
                    retryable=True,
                    kind="unknown_type",
                ),
            )
        except PayloadError as exc:
            return self._failure(
                row, ctx, JobError(f"{exc}: {exc.errors}", retryable=False, kind="invalid_payload")
            )
        except JobError as exc:
            return self._failure(row, ctx, exc)
        except Exception as exc:
            return self._failure(
                row, ctx, JobError(f"{type(exc).__name__}: {describe(exc)}", kind="exception")
            )
        log.debug("job_succeeded", attempt=ctx.attempt)
        return Outcome(row["id"], ctx.attempt, "succeeded", result_json=result_json)

    def _failure(self, row: dict[str, Any], ctx: JobContext, exc: JobError) -> Outcome:
        # Everything taken from the exception may come from a handler (or whatever answered
        # it): error_record makes it storable, so no error can block the completer.
        retryable = bool(exc.retryable)
        final = ctx.cancel_requested or not retryable or ctx.attempt >= ctx.max_attempts
        error = error_record(exc.kind, describe(exc), attempt=ctx.attempt, retryable=retryable)
        if ctx.cancel_requested:
            state = "cancelled"
        elif final:
            state = "dead"
        else:
            state = "retrying"
        retry_in = 0.0
        if state == "retrying":
            asked = _seconds(exc.retry_after)
            retry_in = (
                asked
                if asked is not None
                else retry_delay(ctx.attempt, base=self.config.backoff_base, cap=self.config.backoff_max)
            )
            retry_in = min(max(retry_in, 0.0), self.config.backoff_max)
        log.info(
            "job_attempt_failed",
            attempt=ctx.attempt,
            next_state=state,
            error_kind=exc.kind,
            error=error["message"][:500],
            retry_in=round(retry_in, 3),
        )
        return Outcome(row["id"], ctx.attempt, state, error=error, retry_in=retry_in)

    def readiness_problem(self) -> str | None:
        """Why this worker cannot do its work now, beyond the database check (None: it can)."""
        return self.completer.problem

    # -- presence ----------------------------------------------------------------------------

    async def _presence_loop(self) -> None:
        while True:
            await self._announce(
                "worker_seen",
                {
                    "id": self.worker_id,
                    "queues": self.config.queues,
                    "concurrency": self.config.concurrency,
                    "busy": len(self.running),
                },
            )
            await asyncio.sleep(self.config.presence_interval)

    async def _announce(self, query: str, params: dict[str, Any]) -> None:
        # Presence is for people looking at the console: never worth failing a worker over.
        try:
            async with self.pool.connection(timeout=2) as conn:
                await execute(conn, sql(query), **params)
        except Exception as exc:
            log.warning("presence_failed", error=str(exc))

    # -- heartbeat ---------------------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        interval = self.config.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            # The attempts asked about: a job that finished and was claimed again meanwhile is a
            # new attempt, not the one this heartbeat asked about.
            asked = dict(self.running)
            ids = list(asked) + self.completer.pending_ids()
            if not ids:
                continue
            try:
                rows = await fetch_all(
                    self.pool,
                    sql("heartbeat"),
                    ids=ids,
                    worker_id=self.worker_id,
                    lease_seconds=self.config.lease_seconds,
                )
            except Exception as exc:
                log.warning("heartbeat_failed", error=str(exc))
                continue
            held = {row["id"]: row["cancel_requested"] for row in rows}
            # Only the jobs this heartbeat asked about: a batch claimed while it was in flight
            # is not in `asked`, and must not be taken for lost.
            for job_id, running in asked.items():
                if self.running.get(job_id) is not running:
                    continue  # finished meanwhile (and perhaps claimed again: a new attempt)
                if job_id not in held:
                    if running.task.done():
                        continue
                    log.warning("lease_lost", job_id=job_id)
                    metrics.jobs_completed.labels(running.ctx.queue, running.ctx.type, "lost").inc()
                    running.task.cancel()
                elif held[job_id] and not running.ctx.cancelled.is_set():
                    log.info("cancel_requested", job_id=job_id)
                    running.ctx.cancelled.set()


def _seconds(value: object) -> float | None:
    """A handler's ``retry_after`` as finite seconds; None (use the backoff) for anything else:
    NaN or infinity would make the completion statement fail."""
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) else None
