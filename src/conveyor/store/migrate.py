"""Schema migrations (Alembic) and the start-up check that refuses an unmigrated database."""

from __future__ import annotations

from pathlib import Path

import psycopg
import structlog
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaNotReady(RuntimeError):
    """The database is not at the schema revision this code needs."""


def apply_sql_beside(migration_file: str) -> None:
    """Run the ``.sql`` file next to a revision module: migrations are plain SQL, sent to
    PostgreSQL as written (exec_driver_sql: no bind-parameter parsing)."""
    from alembic import op

    op.get_bind().exec_driver_sql(Path(migration_file).with_suffix(".sql").read_text())


def forward_only() -> None:
    raise NotImplementedError("Conveyor migrations are forward-only; restore a backup to go back.")


def _alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The libpq URL goes to psycopg as written (migrations/env.py): SQLAlchemy's URL parser
    # rejects libpq's multi-host form (postgresql://a:5432,b:5432/db?target_session_attrs=...),
    # which is how Conveyor follows a failover.
    config.attributes["database_url"] = database_url
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def upgrade(database_url: str, revision: str = "head") -> str:
    """Apply pending migrations up to ``revision`` (all by default); return the revision now in place."""
    command.upgrade(_alembic_config(database_url), revision)
    return head_revision() if revision == "head" else revision


def current_revision(database_url: str) -> str | None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('conveyor.alembic_version')").fetchone()
        if not exists or exists[0] is None:
            return None
        row = conn.execute("SELECT version_num FROM conveyor.alembic_version").fetchone()
        return row[0] if row else None


def ensure_migrated(database_url: str) -> None:
    current, head = current_revision(database_url), head_revision()
    if current != head:
        raise SchemaNotReady(
            f"database schema is at revision {current or 'none'}, this Conveyor needs {head}: "
            "run `conveyor migrate` first"
        )


def startup_schema_check(database_url: str) -> None:
    """Refuse to start on a database at the wrong schema revision (raises SchemaNotReady).

    An unreachable database is not fatal: the process starts, reports not-ready, and its pool
    keeps reconnecting, so an outage does not turn into a crash loop.
    """
    try:
        ensure_migrated(database_url)
    except psycopg.OperationalError as exc:
        structlog.get_logger("conveyor").error(
            "database_unreachable_at_start", error=str(exc).strip(), retrying=True
        )
