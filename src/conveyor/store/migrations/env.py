"""Alembic environment: plain SQL migrations against the conveyor schema."""

from alembic import context
from sqlalchemy import create_engine, text

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "sqlalchemy.url must be set by conveyor.store.migrate"

engine = create_engine(url)
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
