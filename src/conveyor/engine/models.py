"""The job and schedule shapes the engine accepts and returns."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

QUEUE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"

QueueName = Annotated[str, Field(pattern=QUEUE_PATTERN, examples=["default"])]


class JobState(StrEnum):
    scheduled = "scheduled"
    queued = "queued"
    running = "running"
    retrying = "retrying"
    succeeded = "succeeded"
    dead = "dead"
    cancelled = "cancelled"


FINAL_STATES = frozenset({JobState.succeeded, JobState.dead, JobState.cancelled})


class JobSpec(BaseModel):
    """What a caller submits. Unknown fields are refused so that typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(pattern=TYPE_PATTERN, examples=["http"])
    payload: dict[str, Any] = Field(default_factory=dict)
    queue: QueueName = "default"
    priority: int = Field(default=0, ge=-1000, le=1000, description="Higher runs first.")
    run_at: AwareDatetime | None = Field(
        default=None, description="RFC 3339 time with offset; omit to run now."
    )
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    timeout_seconds: float | None = Field(default=None, gt=0, le=86_400)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=255)


class Job(BaseModel):
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
