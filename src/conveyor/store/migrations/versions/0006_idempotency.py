"""Stored responses for Idempotency-Key on creating POSTs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from pathlib import Path

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # exec_driver_sql: the SQL goes to PostgreSQL as written, with no bind-parameter parsing.
    op.get_bind().exec_driver_sql(Path(__file__).with_suffix(".sql").read_text())


def downgrade() -> None:
    raise NotImplementedError("Conveyor migrations are forward-only; restore a backup to go back.")
