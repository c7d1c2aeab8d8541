"""store.database: the one way code runs a statement, on a pool or inside a caller's transaction."""

from __future__ import annotations

import psycopg

from conveyor.store.database import Pool, execute, fetch_all, fetch_one

INSERT = "INSERT INTO conveyor.queues (name) SELECT unnest(%(names)s::text[])"
NAMES = "SELECT name FROM conveyor.queues WHERE name = ANY(%(names)s) ORDER BY name"


async def test_on_a_pool_each_statement_runs_and_execute_counts_rows(pool: Pool, clean_db: str) -> None:
    assert await execute(pool, INSERT, names=["a", "b"]) == 2
    assert await fetch_all(pool, NAMES, names=["a", "b", "c"]) == [{"name": "a"}, {"name": "b"}]
    assert await fetch_one(pool, NAMES, names=["b"]) == {"name": "b"}
    assert await fetch_one(pool, NAMES, names=["c"]) is None


async def test_on_a_connection_statements_belong_to_the_callers_transaction(
    pool: Pool, clean_db: str
) -> None:
    async with pool.connection() as conn:
        async with conn.transaction():
            await execute(conn, INSERT, names=["kept"])
        async with conn.transaction():
            await execute(conn, INSERT, names=["rolled-back"])
            assert await fetch_one(conn, NAMES, names=["rolled-back"]) == {"name": "rolled-back"}
            raise psycopg.Rollback()
    assert await fetch_all(pool, NAMES, names=["kept", "rolled-back"]) == [{"name": "kept"}]
