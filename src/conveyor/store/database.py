"""Where the database is (embedded or external) and the async connection pool every process uses."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from conveyor.settings import Settings, require_database_url
from conveyor.telemetry.metrics import pools

Connection = psycopg.AsyncConnection[dict[str, Any]]
Pool = AsyncConnectionPool[Connection]


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


async def open_pool(url: str, *, size: int, name: str, timeout: float = 5.0) -> Pool:
    pool: Pool = AsyncConnectionPool(
        url,
        min_size=1,
        max_size=size,
        kwargs={"autocommit": True, "row_factory": dict_row, "application_name": name},
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
        row = await (
            await conn.execute("SELECT (SELECT version_num FROM conveyor.alembic_version) AS revision")
        ).fetchone()
    revision = row["revision"] if row else None
    if revision != expected_revision:
        raise RuntimeError(
            f"database schema is at revision {revision}, need {expected_revision}: run `conveyor migrate`"
        )
