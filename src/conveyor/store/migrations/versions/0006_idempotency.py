"""Stored responses for Idempotency-Key on creating POSTs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from conveyor.store.migrate import apply_sql_beside, forward_only

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_sql_beside(__file__)


def downgrade() -> None:
    forward_only()
