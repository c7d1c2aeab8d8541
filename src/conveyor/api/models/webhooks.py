"""Bodies of /api/v1/webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field

from conveyor.handlers.destinations import OutboundUrl
from conveyor.inputs import InputModel

EventType = Literal["job.queued", "job.running", "job.retrying", "job.succeeded", "job.dead", "job.cancelled"]


WebhookUrl = Annotated[OutboundUrl, Field(examples=["https://hooks.example.com/conveyor"])]


class WebhookCreate(InputModel):
    url: WebhookUrl
    events: list[EventType] = Field(min_length=1, examples=[["job.dead", "job.succeeded"]])
    description: str | None = Field(default=None, max_length=500)
    enabled: bool = True


class WebhookUpdate(InputModel):
    url: WebhookUrl | None = None
    events: list[EventType] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None


class Webhook(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime
    rotation_ends_at: datetime | None = Field(description="Until then the previous secret also signs.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls.model_validate({**row, "rotation_ends_at": row["previous_expires_at"]})


class WebhookWithSecret(Webhook):
    secret: str = Field(description="Verify signatures with it (Standard Webhooks). Keep it secret.")
