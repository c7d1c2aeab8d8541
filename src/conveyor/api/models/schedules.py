"""Bodies of /api/v1/schedules beyond the engine's own Schedule and ScheduleSpec."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from conveyor.engine.schedules import JobTemplate
from conveyor.inputs import InputModel


class ScheduleUpdate(InputModel):
    """Fields to change; omitted fields keep their value."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    cron: str | None = None
    timezone: str | None = None
    job: JobTemplate | None = None
    enabled: bool | None = None
    misfire_policy: Literal["skip", "catch_up"] | None = None
    max_catch_up: int | None = Field(default=None, ge=1, le=1000)


class CadencePreview(InputModel):
    cron: str = Field(examples=["0 9 * * 1-5"])
    timezone: str = "UTC"
    count: int = Field(default=5, ge=1, le=100)


class Preview(BaseModel):
    next_fire_times: list[datetime]
