"""Console sessions (cookie + CSRF token).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from conveyor.store.migrate import apply_sql_beside, forward_only

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_sql_beside(__file__)


def downgrade() -> None:
    forward_only()
