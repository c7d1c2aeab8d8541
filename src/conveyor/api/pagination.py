"""Keyset pagination: ``?limit=&cursor=`` on every list route, the cursor opaque to clients."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, Protocol, TypeVar

from fastapi import Depends, Query
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


class HasId(Protocol):
    @property
    def id(self) -> int: ...


@dataclass(frozen=True)
class PageQuery:
    """A list request's page: how many items, after which one (the id its cursor names)."""

    limit: int
    last_id: int | None

    def next_cursor(self, items: Sequence[HasId]) -> str | None:
        """The cursor of the page after ``items``; None when this page was the last."""
        return encode_cursor(items[-1].id) if len(items) == self.limit else None


async def page_query(limit: Annotated[int, Query(ge=1, le=500)] = 50, cursor: str | None = None) -> PageQuery:
    return PageQuery(limit, decode_cursor(cursor))


# A dependency's query parameters follow the route's own in the OpenAPI document: limit and
# cursor stay last wherever a route declares it.
PageQueryDep = Annotated[PageQuery, Depends(page_query)]
