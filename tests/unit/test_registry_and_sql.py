from __future__ import annotations

import pytest
from pydantic import BaseModel

from conveyor.api.pagination import decode_cursor, encode_cursor
from conveyor.api.problems import Problem
from conveyor.handlers import JobContext, PayloadError, Registry, UnknownJobType, discover
from conveyor.store.queries import parse


class Greeting(BaseModel):
    name: str


def test_entry_points_provide_the_builtin_types() -> None:
    assert {"noop", "sleep", "echo", "fail", "http"} <= set(discover().names())


def test_decorator_validates_payloads_with_the_annotated_model() -> None:
    registry = Registry()

    @registry.handler("greet")
    async def greet(payload: Greeting, ctx: JobContext) -> str:
        return f"hi {payload.name}"

    registry.validate("greet", {"name": "ada"})
    with pytest.raises(PayloadError) as raised:
        registry.validate("greet", {"name": 3})
    assert raised.value.errors[0]["field"] == "payload.name"
    with pytest.raises(UnknownJobType):
        registry.validate("wave", {})
    with pytest.raises(ValueError, match="registered twice"):
        registry.handler("greet")(greet)


def test_sql_file_parsing() -> None:
    queries = parse("-- name: one\nSELECT 1;\n\n-- name: two\n-- docs\nSELECT 2;\n")
    assert queries == {"one": "SELECT 1;", "two": "-- docs\nSELECT 2;"}
    with pytest.raises(ValueError, match="defined twice"):
        parse("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;")


def test_cursors_round_trip_and_reject_forgeries() -> None:
    assert decode_cursor(encode_cursor(42)) == 42
    assert decode_cursor(None) is None
    for forged in ("x", "eyJpZCI6ICJhIn0", "bnVsbA", "e30"):
        with pytest.raises(Problem):
            decode_cursor(forged)
