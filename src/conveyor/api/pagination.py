"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Generic, TypeVar

from pydantic import BaseModel

from conveyor.api.params import MAX_ID
from conveyor.api.problems import Problem

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)["id"]
        # Only ids a row can have: anything else was not issued here (and a value beyond
        # bigint would fail in the database).
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
            raise TypeError
        return value
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise Problem(
            422,
            "cursor: not a cursor this API issued",
            slug="validation",
            errors=[{"field": "cursor", "message": "invalid cursor"}],
        ) from None
