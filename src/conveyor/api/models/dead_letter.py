"""Bodies of /api/v1/dead-letter: replay and purge by filter."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from conveyor.engine.models import QueueName
from conveyor.inputs import InputModel, Timestamp


class ReplayFilter(InputModel):
    queue: QueueName | None = None
    type: str | None = None
    limit: int = Field(default=1000, ge=1, le=100_000)


class Replayed(BaseModel):
    replayed: int
    ids: list[int]


def _boolean(value: object) -> object:
    # A literal compares by equality, and 1 == True: strict mode alone would let 1 through.
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "Input should be a valid boolean")
    return value


class PurgeFilter(InputModel):
    queue: QueueName | None = None
    type: str | None = None
    finished_before: Timestamp | None = None
    confirm: Annotated[Literal[True], BeforeValidator(_boolean)] = Field(
        description="Must be true: purging deletes jobs for good."
    )


class Purged(BaseModel):
    purged: int
