"""Initial schema: queues, jobs, job events, schedules, users, API keys, leaders.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from conveyor.store.migrate import apply_sql_beside, forward_only

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_sql_beside(__file__)


def downgrade() -> None:
    forward_only()
