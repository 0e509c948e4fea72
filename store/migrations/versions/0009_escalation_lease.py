"""Leased review queue: which reviewer is working on which open escalation, and until when.

`escalation_lease` holds at most one lease per escalation (see `store.leases`). Leases
are operational data, not part of the signed audit record: they are taken, extended,
held, handed over and given up all day, so the runtime role may insert, update and
delete them (`store.roles`) and no append-only trigger guards the table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    if sa.inspect(op.get_bind()).has_table("escalation_lease"):
        return  # made from the models (a database adopted from before migrations)
    op.create_table(
        "escalation_lease",
        sa.Column("escalation_id", sa.String(), primary_key=True),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("holder_token_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('leased', 'held')", name="ck_escalation_lease_state"),
    )
    # A holder's own lease is looked up on every claim.
    op.create_index("ix_escalation_lease_holder", "escalation_lease", ["holder"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_escalation_lease_holder", table_name="escalation_lease")
    op.drop_table("escalation_lease")
