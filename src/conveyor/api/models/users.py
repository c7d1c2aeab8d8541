"""Bodies of /api/v1/users, /api/v1/me and /api/v1/audit-log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from conveyor.inputs import InputModel, Timestamp, documented_by
from conveyor.store.users import Role

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,255}$"


class UserCreate(InputModel):
    email: str = Field(pattern=EMAIL_PATTERN, examples=["ada@example.com"])
    name: str | None = Field(default=None, max_length=200)
    role: Role
    password: str | None = Field(
        default=None,
        min_length=12,
        max_length=256,
        description="For console sign-in; stored as an argon2 hash.",
    )


class UserUpdate(InputModel):
    name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=12, max_length=256)


class User(BaseModel):
    model_config = documented_by(
        {
            "id": 7,
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "role": "admin",
            "disabled": False,
            "created_at": "2026-11-02T09:30:00Z",
        }
    )

    id: int
    email: str
    name: str | None
    role: Role
    disabled: bool
    created_at: datetime


class ApiKeyCreate(InputModel):
    name: str = Field(min_length=1, max_length=100, examples=["deploy pipeline"])
    expires_at: Timestamp | None = None

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value


class ApiKey(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKey):
    secret: str | None = Field(
        description="The key itself, shown only in the response that created it. null when the "
        "answer is an Idempotency-Key replay: the key is stored only as a hash, so if the first "
        "response was lost, rotate or revoke the key."
    )


class AuditEntry(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    key_id: int | None
    action: str
    route: str
    params: dict[str, Any]
    status: int
    ip: str | None
    request_id: str | None
