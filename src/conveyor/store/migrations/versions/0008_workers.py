"""Worker presence: which workers run, with how many slots, how many busy.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from conveyor.store.migrate import apply_sql_beside, forward_only

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_sql_beside(__file__)


def downgrade() -> None:
    forward_only()
