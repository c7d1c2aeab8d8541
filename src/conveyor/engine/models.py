"""The job and schedule shapes the engine accepts and returns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from conveyor.inputs import InputModel, Timestamp, documented_by

QUEUE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"

QueueName = Annotated[str, Field(pattern=QUEUE_PATTERN, examples=["default"])]
# A run_at further off than this is a mistake (a unit or clock error), not a plan: a day of
# clock skew either way is tolerated, and "parked" jobs a lifetime ahead still fit.
RUN_AT_MAX_PAST = timedelta(days=1)
RUN_AT_MAX_AHEAD = timedelta(days=100 * 365)


class JobState(StrEnum):
    scheduled = "scheduled"
    queued = "queued"
    running = "running"
    retrying = "retrying"
    succeeded = "succeeded"
    dead = "dead"
    cancelled = "cancelled"


FINAL_STATES = frozenset({JobState.succeeded, JobState.dead, JobState.cancelled})


class JobSpec(InputModel):
    """What a caller submits. Strict types, unknown fields refused: no loose value passes silently."""

    type: str = Field(pattern=TYPE_PATTERN, examples=["http"])
    payload: dict[str, Any] = Field(default_factory=dict)
    queue: QueueName = "default"
    priority: int = Field(default=0, ge=-1000, le=1000, description="Higher runs first.")
    run_at: Timestamp | None = Field(
        default=None,
        description="RFC 3339 time with offset; omit to run now. At most a day in the past "
        "and 100 years ahead.",
    )
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    timeout_seconds: float | None = Field(default=None, gt=0, le=86_400)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=255)

    @field_validator("run_at")
    @classmethod
    def _plausible_run_at(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        now = datetime.now(UTC)
        if value < now - RUN_AT_MAX_PAST:
            raise PydanticCustomError(
                "run_at_too_early", "is more than a day in the past; omit run_at to run now"
            )
        if value > now + RUN_AT_MAX_AHEAD:
            raise PydanticCustomError("run_at_too_late", "is more than 100 years ahead")
        return value


class Job(BaseModel):
    model_config = documented_by(
        {
            "id": 1042,
            "type": "http",
            "queue": "default",
            "state": "succeeded",
            "payload": {"url": "https://billing.example.com/hooks/invoice", "body": {"order": 42}},
            "priority": 5,
            "attempts": 1,
            "max_attempts": 5,
            "timeout_seconds": 30.0,
            "run_at": "2026-12-01T09:00:00Z",
            "created_at": "2026-12-01T08:59:58Z",
            "started_at": "2026-12-01T09:00:00.004Z",
            "finished_at": "2026-12-01T09:00:00.212Z",
            "result": {"status": 200, "body": {"received": True}},
            "last_error": None,
            "cancel_requested": False,
            "schedule_id": None,
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        }
    )

    id: int
    type: str
    queue: str
    state: JobState
    payload: dict[str, Any]
    priority: int
    attempts: int
    max_attempts: int
    timeout_seconds: float
    run_at: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: Any = None
    last_error: dict[str, Any] | None = None
    cancel_requested: bool = False
    schedule_id: int | None = None
    trace_id: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        trace = row.get("trace_context") or {}
        traceparent = trace.get("traceparent", "")
        parts = traceparent.split("-")
        return cls.model_validate({**row, "trace_id": parts[1] if len(parts) == 4 else None})


class JobEvent(BaseModel):
    id: int
    at: datetime
    from_state: JobState | None
    to_state: JobState
    attempt: int
    worker_id: str | None
    error: dict[str, Any] | None
    wait_seconds: float | None
    run_seconds: float | None
