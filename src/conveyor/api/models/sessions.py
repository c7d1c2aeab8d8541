"""Bodies of /api/v1/sessions: console sign-in."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from conveyor.api.models.users import EMAIL_PATTERN, User
from conveyor.inputs import InputModel


class Credentials(InputModel):
    email: str = Field(pattern=EMAIL_PATTERN)
    password: str = Field(min_length=1, max_length=256)


class Session(BaseModel):
    user: User
    csrf_token: str = Field(
        description="Send it as X-CSRF-Token on every POST, PATCH, PUT and DELETE.",
        examples=["tdK3c0mVZ9p4WQ-example-csrf-token"],
    )
    expires_at: datetime = Field(examples=["2030-01-01T08:00:00Z"])
