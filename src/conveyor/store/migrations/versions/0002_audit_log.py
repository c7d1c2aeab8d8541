"""The audit log; request fingerprints for idempotency keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from conveyor.store.migrate import apply_sql_beside, forward_only

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_sql_beside(__file__)


def downgrade() -> None:
    forward_only()
