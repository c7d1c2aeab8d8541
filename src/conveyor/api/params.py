"""Parameters shared by the routes: ids within PostgreSQL's bigint range, and query strings
PostgreSQL can hold, so that a value no row can have is refused naming the parameter instead
of failing in the database."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request

from conveyor.api.problems import Problem
from conveyor.inputs import unstorable

MAX_ID = 2**63 - 1

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


async def storable_query(request: Request) -> None:
    """Every route's query parameters (the filters go into SQL): no NUL characters."""
    for name, value in request.query_params.multi_items():
        if reason := unstorable(name) or unstorable(value):
            field = name if not unstorable(name) else "query"
            raise Problem(
                422, f"{field}: {reason}", slug="validation", errors=[{"field": field, "message": reason}]
            )
