"""Bodies of /api/v1/queues: a queue's controls and its live numbers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from conveyor.inputs import InputModel


class QueueUpdate(InputModel):
    paused: bool | None = Field(
        default=None,
        deprecated=True,
        description="Deprecated: use POST /queues/{name}/pause and /resume. Sunset 2027-06-30.",
    )
    concurrency_limit: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="Most jobs running at once, across workers; null removes it.",
    )
    rate_limit: float | None = Field(
        default=None,
        gt=0,
        le=100_000,
        description="Most jobs started per second, across workers; null removes it.",
    )


class Queue(BaseModel):
    name: str
    paused: bool
    concurrency_limit: int | None
    rate_limit: float | None


class QueueStats(Queue):
    due: int
    waiting: int
    running: int
    oldest_due_age_seconds: float
