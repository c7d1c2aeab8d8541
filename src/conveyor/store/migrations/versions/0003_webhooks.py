"""Webhook endpoints; deliveries as jobs, fanned out by a trigger on job events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from conveyor.store.migrate import apply_sql_beside, forward_only

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_sql_beside(__file__)


def downgrade() -> None:
    forward_only()
