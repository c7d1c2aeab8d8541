"""Bodies of /api/v1/jobs beyond the engine's own Job and JobSpec."""

from __future__ import annotations

from pydantic import BaseModel, Field

from conveyor.engine.models import Job, JobSpec
from conveyor.inputs import InputModel

MAX_BATCH = 1000


class JobBatch(InputModel):
    jobs: list[JobSpec] = Field(min_length=1, max_length=MAX_BATCH)


class BatchResult(BaseModel):
    items: list[Job]
    created: list[bool]
