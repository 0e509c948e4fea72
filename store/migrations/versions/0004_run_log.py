"""The signed, append-only log of run heads (see `store.headlog`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    if "run_log" in sa.inspect(op.get_bind()).get_table_names():
        return  # a database adopted from tables created by the models, which have it
    op.create_table(
        "run_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("run_id", sa.String(), nullable=False, index=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(), nullable=False),
        sa.Column("seal", sa.String(), nullable=False),
        sa.Column("prev_entry_hash", sa.String(), nullable=False),
        sa.Column("entry_hash", sa.String(), nullable=False, unique=True),
        sa.Column("signature", sa.String(), nullable=True),
        sa.Column("key_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Inserted, never updated or deleted (the function of revision 0001).
        op.execute(
            "CREATE OR REPLACE TRIGGER run_log_append_only BEFORE UPDATE OR DELETE ON run_log "
            "FOR EACH ROW EXECUTE FUNCTION auditgraph_append_only()"
        )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("run_log")
