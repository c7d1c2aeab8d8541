from __future__ import annotations

import pytest
from pydantic import BaseModel

from conveyor.admin.queries import sql as admin_sql
from conveyor.api.pagination import decode_cursor, encode_cursor
from conveyor.api.problems import Problem
from conveyor.engine.queries import sql as engine_sql
from conveyor.handlers import JobContext, PayloadError, Registry, UnknownJobType, discover
from conveyor.store.queries import parse
from conveyor.store.queries import sql as store_sql
from tests.support import REPO

SRC = REPO / "src" / "conveyor"


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


def _source(exclude: tuple[str, ...] = ()) -> str:
    return "\n".join(
        p.read_text() for p in sorted(SRC.rglob("*.py")) if str(p.relative_to(SRC)) not in exclude
    )


def test_each_sql_folder_has_one_loader_and_every_query_is_run() -> None:
    folders = {p.parent for p in SRC.rglob("sql/*.sql")}
    loaders = (store_sql, engine_sql, admin_sql)
    assert {loader.directory for loader in loaders} == folders
    assert _source().count("Queries(Path(__file__)") == len(folders)
    code = _source()
    for loader in loaders:
        unused = [name for name in loader.all if f'"{name}"' not in code]
        assert not unused, f"queries in {loader.directory} that no code runs: {unused}"


def test_statements_run_only_through_the_store_helpers() -> None:
    # The helpers themselves and the synchronous schema check (store/migrate.py) aside, no module
    # reads a cursor itself: fetch_one / fetch_all / execute are the one way.
    code = _source(exclude=("store/database.py", "store/migrate.py"))
    assert ".fetchone()" not in code
    assert ".fetchall()" not in code


def test_cursors_round_trip_and_reject_forgeries() -> None:
    assert decode_cursor(encode_cursor(42)) == 42
    assert decode_cursor(None) is None
    for forged in ("x", "eyJpZCI6ICJhIn0", "bnVsbA", "e30"):
        with pytest.raises(Problem):
            decode_cursor(forged)
