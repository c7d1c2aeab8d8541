"""Per-queue rate limits (token bucket on the queue row).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from pathlib import Path

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # exec_driver_sql: the SQL goes to PostgreSQL as written, with no bind-parameter parsing.
    op.get_bind().exec_driver_sql(Path(__file__).with_suffix(".sql").read_text())


def downgrade() -> None:
    raise NotImplementedError("Conveyor migrations are forward-only; restore a backup to go back.")
