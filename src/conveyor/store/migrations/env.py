"""Alembic environment: plain SQL migrations against the conveyor schema."""

import psycopg
from alembic import context
from sqlalchemy import create_engine, text

config = context.config
url = config.attributes.get("database_url")
assert url, "the database URL must be set by conveyor.store.migrate"

# psycopg connects with libpq's own URL (multi-host and target_session_attrs included);
# SQLAlchemy only wraps the connection.
engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(url))
with engine.connect() as connection:
    connection.execute(text("CREATE SCHEMA IF NOT EXISTS conveyor"))
    connection.commit()
    context.configure(
        connection=connection,
        version_table_schema="conveyor",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
