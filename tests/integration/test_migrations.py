"""Migrations that rewrite data, run from the revision before them on a fresh database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import psycopg.rows
import pytest

from conveyor.store import migrate


@pytest.fixture
def scratch_database(database_url: str) -> Iterator[str]:
    """An empty database on the test server, dropped afterwards."""
    name = "conveyor_migration_test"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield urlsplit(database_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_0009_keeps_replayable_keys_and_wipes_the_stored_responses(scratch_database: str) -> None:
    migrate.upgrade(scratch_database, "0008")
    key_response = {"id": 7, "name": "ci", "secret": "cvk_deadbeef_secret"}
    batch_response = {
        "items": [{"id": 3, "state": "queued"}, {"id": 4, "state": "queued"}],
        "created": [True, False],
    }
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO conveyor.idempotent_requests"
            " (user_id, key, route, request_hash, status, response_body) VALUES"
            " (1, 'k', '/api/v1/me/api-keys', 'h', 201, %s), (1, 'b', '/api/v1/jobs/batch', 'h', 201, %s),"
            " (1, 'running', '/api/v1/users', 'h', NULL, NULL)",
            [json.dumps(key_response).encode(), json.dumps(batch_response).encode()],
        )
    migrate.upgrade(scratch_database)
    with psycopg.connect(scratch_database, row_factory=psycopg.rows.dict_row) as conn:
        rows = {r["key"]: r for r in conn.execute("SELECT * FROM conveyor.idempotent_requests")}
    assert rows["k"]["created"] == 7 and rows["k"]["status"] == 201
    assert rows["b"]["created"] == {"ids": [3, 4], "created": [True, False]}
    assert rows["running"]["created"] is None and rows["running"]["status"] is None
    assert all(
        "response_body" not in row and "secret" not in json.dumps(row, default=str) for row in rows.values()
    )
