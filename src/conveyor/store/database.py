"""Where the database is (embedded or external), the async connection pool every process uses,
and the one way code runs a statement: ``fetch_one``, ``fetch_all`` and ``execute``, given a pool
(one statement on a connection of its own) or a connection (inside the caller's transaction),
the SQL text of a named query (``sql("name")`` from the ``queries.py`` beside its folder), and
its parameters by name."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from conveyor.settings import Settings, require_database_url, rotating_secret
from conveyor.store.queries import sql
from conveyor.telemetry.metrics import pools

Row = dict[str, Any]
Connection = psycopg.AsyncConnection[Row]
Pool = AsyncConnectionPool[Connection]
Database = Pool | Connection


def embedded_data_dir(settings: Settings) -> Path:
    return (settings.home / "pgdata").resolve()


def start_embedded(settings: Settings) -> str:
    """Start (or join) the embedded PostgreSQL under ``.conveyor/pgdata``; return its URL.

    pgserver counts the processes using a data directory and stops the server when the last
    one exits, so the supervisor and its children can all call this safely.
    """
    # Imported here: processes using an external database never load the embedded server.
    import pgserver

    data_dir = embedded_data_dir(settings)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore", UserWarning)
        server = pgserver.get_server(data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]
    uri: str = server.get_uri()
    return uri


def database_url(settings: Settings) -> str:
    return require_database_url(settings) or start_embedded(settings)


def _postgresql_url(text: str) -> bool:
    return text.split("://", 1)[0] in ("postgresql", "postgres")


async def open_pool(
    url: str, *, size: int, name: str, timeout: float = 5.0, prepared_statements: bool = True
) -> Pool:
    """The pool every process uses. Each new connection takes the URL's current value, so a
    password rotated in CONVEYOR_DATABASE_URL_FILE is used from the next connection on (open
    ones keep working). Connections hold no session state between transactions (autocommit,
    transaction-scoped advisory locks, no SET), so a transaction-pooling proxy such as PgBouncer
    can sit in front; only psycopg's automatic server-side prepared statements need turning off
    there (``prepared_statements=False``), as a proxy before PgBouncer 1.21 sends the next
    transaction to a server connection that never prepared them."""
    kwargs: dict[str, Any] = {"autocommit": True, "row_factory": dict_row, "application_name": name}
    if not prepared_statements:
        kwargs["prepare_threshold"] = None
    pool: Pool = AsyncConnectionPool(
        rotating_secret("database_url", url, _postgresql_url),
        min_size=1,
        max_size=size,
        kwargs=kwargs,
        open=False,
        timeout=timeout,
        reconnect_timeout=30,
    )
    await pool.open(wait=False)
    pools.watch(name, pool)  # its size, waiters and errors on /metrics (conveyor_db_pool_*)
    return pool


async def check_database(pool: Pool, expected_revision: str) -> None:
    """Readiness: the database answers within a short deadline and has the expected schema."""
    async with pool.connection(timeout=2) as conn:
        row = await fetch_one(conn, sql("schema_revision"))
    revision = row["revision"] if row else None
    if revision != expected_revision:
        raise RuntimeError(
            f"database schema is at revision {revision}, need {expected_revision}: run `conveyor migrate`"
        )


@asynccontextmanager
async def _connection(db: Database) -> AsyncIterator[Connection]:
    if isinstance(db, AsyncConnectionPool):
        async with db.connection() as conn:
            yield conn
    else:
        yield db


async def fetch_one(db: Database, query: str, /, **params: Any) -> Row | None:
    """The first row the statement returns, or None."""
    async with _connection(db) as conn:
        return await (await conn.execute(query, params)).fetchone()


async def fetch_all(db: Database, query: str, /, **params: Any) -> list[Row]:
    async with _connection(db) as conn:
        return await (await conn.execute(query, params)).fetchall()


async def execute(db: Database, query: str, /, **params: Any) -> int:
    """Run a statement for its effect; return how many rows it touched (rows it returns are dropped)."""
    async with _connection(db) as conn:
        return (await conn.execute(query, params)).rowcount
