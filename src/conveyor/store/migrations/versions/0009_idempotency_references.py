"""Idempotency keys remember what a request created, not its response (which may hold a secret).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from conveyor.store.migrate import apply_sql_beside, forward_only

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_sql_beside(__file__)


def downgrade() -> None:
    forward_only()
