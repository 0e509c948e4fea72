"""The work queue of runs: `run_dispatch`, one row per run handed to the workers.

Which runs wait for a worker, which worker holds which run until when, how many times
each was tried and the last error (see `store.dispatch`). Like leases it is operational
data, not part of the signed audit record: the runtime role may insert and update it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    if sa.inspect(op.get_bind()).has_table("run_dispatch"):
        return  # made from the models (a database adopted from before migrations)
    op.create_table(
        "run_dispatch",
        sa.Column("run_id", sa.String(), primary_key=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("lease_expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.CheckConstraint("state IN ('queued', 'leased', 'done', 'failed')", name="ck_run_dispatch_state"),
    )
    op.create_index("ix_run_dispatch_state_queued_at", "run_dispatch", ["state", "queued_at"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_run_dispatch_state_queued_at", table_name="run_dispatch")
    op.drop_table("run_dispatch")
