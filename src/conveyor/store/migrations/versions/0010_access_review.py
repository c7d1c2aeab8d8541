"""Access reviews and erasure: when each user last signed in, and when a user was erased.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from conveyor.store.migrate import apply_sql_beside, forward_only

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_sql_beside(__file__)


def downgrade() -> None:
    forward_only()
