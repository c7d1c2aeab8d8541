"""Submitting, reading and steering jobs: everything outside the worker's hot loop."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from conveyor.engine.models import Job, JobEvent, JobSpec
from conveyor.engine.queries import sql
from conveyor.handlers import Registry
from conveyor.settings import Settings
from conveyor.store.database import Connection, Pool, fetch_all, fetch_one
from conveyor.telemetry import metrics
from conveyor.telemetry.tracing import current_trace_context

# Deliveries are enqueued by the database itself; a caller who could submit them could send
# correctly signed messages with made-up content to any webhook receiver.
INTERNAL_TYPES = frozenset({"webhook"})
INTERNAL_QUEUE_PREFIX = "conveyor."


class JobRejected(ValueError):
    """A job that could never run. ``errors`` names each field and what is wrong."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


class JobNotFound(LookupError):
    pass


class IdempotencyConflict(ValueError):
    """An idempotency key reused with a different job: refusing beats guessing."""


class StateConflict(Exception):
    """The action does not apply to the job in its current state."""


@dataclass(frozen=True)
class EngineDefaults:
    max_attempts: int
    timeout_seconds: float
    max_payload_bytes: int
    notify: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineDefaults:
        return cls(
            max_attempts=settings.default_max_attempts,
            timeout_seconds=settings.default_timeout_seconds,
            max_payload_bytes=settings.max_payload_bytes,
            notify=settings.listen_notify,
        )


@dataclass(frozen=True)
class ScheduleFire:
    """Ties a job to one fire time of a schedule (exactly once per fire time)."""

    schedule_id: int
    fire_time: datetime


def fingerprint(spec: JobSpec) -> str:
    """A digest of what the caller asked for, to recognise a repeated submission."""
    canonical = json.dumps(spec.model_dump(mode="json", exclude={"idempotency_key"}), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Jobs:
    def __init__(self, pool: Pool, registry: Registry, defaults: EngineDefaults) -> None:
        self.pool = pool
        self.registry = registry
        self.defaults = defaults

    def submittable(self) -> list[str]:
        """The job types a client may submit: every registered one but Conveyor's own."""
        return [name for name in self.registry.names() if name not in INTERNAL_TYPES]

    def check(self, spec: JobSpec, *, prefix: str = "") -> None:
        """Refuse a job whose type is unknown or internal, payload invalid or too large."""
        errors: list[dict[str, str]] = []
        if spec.type in INTERNAL_TYPES:
            errors.append({"field": f"{prefix}type", "message": f"{spec.type!r} is internal to Conveyor"})
        if spec.queue.startswith(INTERNAL_QUEUE_PREFIX):
            errors.append(
                {
                    "field": f"{prefix}queue",
                    "message": f"queues named {INTERNAL_QUEUE_PREFIX}* are internal to Conveyor",
                }
            )
        size = len(json.dumps(spec.payload, separators=(",", ":")).encode())
        if size > self.defaults.max_payload_bytes:
            errors.append(
                {
                    "field": f"{prefix}payload",
                    "message": f"is {size} bytes, over the {self.defaults.max_payload_bytes}-byte limit",
                }
            )
        try:
            self.registry.validate(spec.type, spec.payload)
        except LookupError:
            errors.append(
                {
                    "field": f"{prefix}type",
                    "message": f"unknown job type {spec.type!r}; known: {', '.join(self.submittable())}",
                }
            )
        except ValueError as exc:
            errors.extend(
                {"field": f"{prefix}{e['field']}", "message": e["message"]}
                for e in getattr(exc, "errors", [{"field": "payload", "message": str(exc)}])
            )
        if errors:
            raise JobRejected(errors)

    async def enqueue(
        self,
        specs: Sequence[JobSpec],
        *,
        created_by: int | None = None,
        key_namespace: str = "",
        fires: Sequence[ScheduleFire | None] | None = None,
        conn: Connection | None = None,
    ) -> list[tuple[Job, bool]]:
        """Insert jobs all-or-nothing; return each as (job, created) in input order.

        A job whose idempotency key exists already comes back as the existing job with
        created=False, also when identical submits race (the unique index decides).
        Pass ``conn`` to enqueue inside the caller's transaction.
        """
        for index, spec in enumerate(specs):
            self.check(spec, prefix=f"jobs[{index}]." if len(specs) > 1 else "")
        fires = fires or [None] * len(specs)
        keys = [
            f"{key_namespace}{s.idempotency_key}"
            if s.idempotency_key
            else (f"schedule:{f.schedule_id}:{f.fire_time.isoformat()}" if f else None)
            for s, f in zip(specs, fires, strict=True)
        ]
        fingerprints = [fingerprint(s) if k else None for s, k in zip(specs, keys, strict=True)]
        trace_context = current_trace_context()
        params = {
            "queues": [s.queue for s in specs],
            "types": [s.type for s in specs],
            "payloads": [Jsonb(s.payload) for s in specs],
            "priorities": [s.priority for s in specs],
            "run_ats": [s.run_at for s in specs],
            "max_attempts": [s.max_attempts or self.defaults.max_attempts for s in specs],
            "timeouts": [s.timeout_seconds or self.defaults.timeout_seconds for s in specs],
            "keys": keys,
            "schedule_ids": [f.schedule_id if f else None for f in fires],
            "scheduled_fors": [f.fire_time if f else None for f in fires],
            "trace_contexts": [Jsonb(trace_context) if trace_context else None for _ in specs],
            "created_bys": [created_by] * len(specs),
            "fingerprints": fingerprints,
            "notify": self.defaults.notify,
        }
        if conn is None:
            # One transaction: an idempotency conflict anywhere in the batch writes nothing.
            async with self.pool.connection() as own, own.transaction():
                results = await self._insert(own, specs, params, keys, fingerprints)
        else:
            results = await self._insert(conn, specs, params, keys, fingerprints)
        for job, created in results:
            if created:
                metrics.jobs_enqueued.labels(job.queue, job.type).inc()
        return results

    @staticmethod
    async def _insert(
        conn: Connection,
        specs: Sequence[JobSpec],
        params: dict[str, Any],
        keys: list[str | None],
        fingerprints: list[str | None],
    ) -> list[tuple[Job, bool]]:
        inserted = await fetch_all(conn, sql("enqueue"), **params)
        existing: dict[str, dict[str, Any]] = {}
        if wanted := [k for k in keys if k]:
            rows = await fetch_all(conn, sql("jobs_by_idempotency_keys"), keys=wanted)
            existing = {row["idempotency_key"]: row for row in rows}
        new_ids = {row["id"] for row in inserted}
        keyless = iter(row for row in inserted if row["idempotency_key"] is None)
        results: list[tuple[Job, bool]] = []
        for index, key in enumerate(keys):
            row = existing[key] if key else next(keyless)
            if key and row["request_fingerprint"] != fingerprints[index]:
                raise IdempotencyConflict(
                    f"idempotency key {specs[index].idempotency_key!r} was used for a different job "
                    f"(job {row['id']}); use a new key for a new job"
                )
            # A key repeated within one batch: only its first occurrence counts as created.
            results.append((Job.from_row(row), row["id"] in new_ids))
            new_ids.discard(row["id"])
        return results

    async def get(self, job_id: int) -> Job | None:
        row = await fetch_one(self.pool, sql("get_job"), id=job_id)
        return Job.from_row(row) if row else None

    async def get_many(self, job_ids: list[int]) -> dict[int, Job]:
        """The jobs that still exist among ``job_ids``, by id."""
        rows = await fetch_all(self.pool, sql("get_jobs"), ids=job_ids)
        return {row["id"]: Job.from_row(row) for row in rows}

    async def events(self, job_id: int) -> list[JobEvent]:
        rows = await fetch_all(self.pool, sql("job_events"), id=job_id)
        return [JobEvent.model_validate(row) for row in rows]

    async def page(
        self,
        *,
        state: str | None = None,
        queue: str | None = None,
        type: str | None = None,
        before_id: int | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        limit: int = 50,
    ) -> list[Job]:
        params = {
            "state": state,
            "queue": queue,
            "type": type,
            "before_id": before_id,
            "limit": limit,
            "created_after": created_after,
            "created_before": created_before,
        }
        rows = await fetch_all(self.pool, sql("list_jobs"), **params)
        return [Job.from_row(row) for row in rows]

    async def _act(self, query: str, job_id: int, action: str, hint: str = "") -> dict[str, Any]:
        """Run an action that applies to the job only in some states; the row it returns, or
        JobNotFound / StateConflict (naming the state it is in) when it did not apply."""
        async with self.pool.connection() as conn:
            row = await fetch_one(conn, sql(query), id=job_id, notify=self.defaults.notify)
            if row:
                return row
            current = await fetch_one(conn, sql("get_job"), id=job_id)
        if current is None:
            raise JobNotFound(f"job {job_id} does not exist")
        raise StateConflict(f"cannot {action} job {job_id}: it is {current['state']}{hint}")

    async def cancel(self, job_id: int) -> Job:
        return Job.from_row(await self._act("cancel", job_id, "cancel"))

    async def retry(self, job_id: int) -> Job:
        return Job.from_row(await self._act("retry", job_id, "retry"))

    async def delete(self, job_id: int) -> None:
        await self._act("delete_finished_job", job_id, "delete", "; cancel it first")

    async def purge_dead(
        self, *, queue: str | None, type: str | None, finished_before: datetime | None
    ) -> int:
        params = {"queue": queue, "type": type, "finished_before": finished_before}
        row = await fetch_one(self.pool, sql("purge_dead"), **params)
        return int(row["jobs"]) if row else 0

    async def replay_dead(
        self, *, queue: str | None = None, type: str | None = None, limit: int = 1000
    ) -> list[int]:
        params = {"queue": queue, "type": type, "limit": limit, "notify": self.defaults.notify}
        rows = await fetch_all(self.pool, sql("replay_dead"), **params)
        return [row["id"] for row in rows]
