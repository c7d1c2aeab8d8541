"""The base of every model that takes outside input (API request bodies, job and schedule specs).

- **Strict types**: a string is not an integer (``"5"``), a boolean is not a number (``true``),
  a number is not a date (``1e12``); what a caller sends is what it means.
- **No unknown fields**: a typo is an error, not silently ignored.
- **Storable values only**: PostgreSQL text and jsonb cannot hold NUL characters or unpaired
  UTF-16 surrogates, and JSON has no NaN or Infinity (Python's parser accepts them). Such a
  value is refused here, naming its field, before any SQL runs; so is JSON nested deeper than
  ``MAX_NESTING`` levels.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

# Deeper JSON is a mistake or an attack; far below where parsing or storing it would fail.
MAX_NESTING = 64
TIMESTAMP_HINT = "an RFC 3339 date-time string with an offset, like 2030-01-01T09:00:00Z"


def unstorable(value: Any, path: str = "", depth: int = 0) -> str | None:
    """Why ``value`` (a str, number, or list/dict of them) cannot be stored, or None."""
    where = f" at {path if len(path) <= 80 else path[:80] + '…'}" if path else ""
    if depth > MAX_NESTING:
        return f"nested deeper than {MAX_NESTING} levels{where}"
    if isinstance(value, str):
        if "\x00" in value:
            return f"contains a NUL (\\u0000) character{where}"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"contains an unpaired surrogate, which is not Unicode text{where}"
    elif isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, not {value}{where}"
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if reason := unstorable(key, path) or unstorable(item, inner, depth + 1):
                return reason
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if reason := unstorable(item, f"{path}[{index}]", depth + 1):
                return reason
    return None


class InputModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        # Nested input models have checked their own fields.
        if not isinstance(value, BaseModel) and (reason := unstorable(value)):
            raise PydanticCustomError("unstorable", reason)
        return value


def _timestamp_text(value: object) -> object:
    # Strict mode would refuse the string form of a date too; numbers are what must go.
    if isinstance(value, str | datetime):
        return value
    raise PydanticCustomError("timestamp_type", f"must be {TIMESTAMP_HINT}")


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_timestamp_text),
    Field(strict=False, description=f"{TIMESTAMP_HINT[0].upper()}{TIMESTAMP_HINT[1:]}."),
]
