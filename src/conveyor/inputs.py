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

import json
import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

# Deeper JSON is a mistake or an attack; far below where parsing or storing it would fail.
MAX_NESTING = 64
TIMESTAMP_HINT = "an RFC 3339 date-time string with an offset, like 2030-01-01T09:00:00Z"


def unstorable(value: Any) -> str | None:
    """Why ``value`` (a str, number, or list/dict of them) cannot be stored, or None.

    Containers are screened at C speed first (one ``json.dumps``, a UTF-8 encode, a search for
    an escaped NUL, a count of brackets); only one that fails the screen is walked value by
    value, to say what is wrong and where."""
    if not isinstance(value, dict | list):
        return _located(value)
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except (ValueError, RecursionError, TypeError):
        # NaN or Infinity; a surrogate (UnicodeEncodeError); input models inside a list, which
        # have checked themselves (TypeError): the walk says which, if any.
        return _located(value)
    # "\u0000" is also how a literal backslash-u0000 in a string comes out: confirm.
    if "\\u0000" in text:
        return _located(value)
    # Fewer brackets than levels allowed (those in strings count too) cannot nest too deep.
    if text.count("[") + text.count("{") > MAX_NESTING and _nested_deeper_than(value, MAX_NESTING):
        return _located(value)
    return None


def _nested_deeper_than(value: dict[Any, Any] | list[Any], limit: int) -> bool:
    level: list[Any] = [value]
    for _ in range(limit + 1):
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def _located(value: Any, path: str = "", depth: int = 0) -> str | None:
    """The value-by-value check behind ``unstorable``, naming the path of the first problem."""
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
            if reason := _located(key, path) or _located(item, inner, depth + 1):
                return reason
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if reason := _located(item, f"{path}[{index}]", depth + 1):
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


def documented_by(example: dict[str, Any]) -> ConfigDict:
    """A response model's config carrying its one example: what ``/api/docs`` shows and what the
    API mock (``make mock-api``) answers for it. ``tests/unit/test_docs.py`` holds it to the model."""
    return ConfigDict(json_schema_extra={"examples": [example]})
