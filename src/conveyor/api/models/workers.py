"""Bodies of /api/v1/workers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class WorkerInfo(BaseModel):
    id: str
    queues: list[str]
    concurrency: int = Field(description="Slots: jobs it runs at once.")
    busy: int = Field(description="Slots running a job at its last announcement.")
    started_at: datetime
    seen_at: datetime
