"""The admin commands' named SQL queries (``admin/sql/*.sql``)."""

from pathlib import Path

from conveyor.store.queries import Queries

sql = Queries(Path(__file__).parent / "sql")
