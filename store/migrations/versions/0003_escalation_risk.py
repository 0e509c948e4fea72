"""The escalation's risk: the probability of a violation that ranks a queue within a priority.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    if "risk" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("escalation")}:
        return  # a database adopted from tables created by the models, which have it
    with op.batch_alter_table("escalation") as batch:
        batch.add_column(sa.Column("risk", sa.Float(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("escalation") as batch:
        batch.drop_column("risk")
