"""Legal holds: `legal_hold`, one row per case held (or once held) against deletion.

A held case is exempt from every deletion: retention (`auditgraph retention run`) and
erasure (`auditgraph erase`) skip its runs. The row says who held it, why and when, and,
once released, who released it, why and when; holding it again rewrites the row. The
full history is in the chained trace of each of the case's runs (a "hold" step per set
and release, signed in the log of run heads), so the row is the current state and the
chain is the record. The runtime role may insert and update a row, never delete one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    if sa.inspect(op.get_bind()).has_table("legal_hold"):
        return  # made from the models (a database adopted from before migrations)
    op.create_table(
        "legal_hold",
        sa.Column("case_id", sa.String(), primary_key=True),
        sa.Column("held_by", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.String(), nullable=True),
        sa.Column("release_reason", sa.String(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("legal_hold")
