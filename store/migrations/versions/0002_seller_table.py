"""The seller table the seller-history tool's SQL backend reads.

Before this revision the backend created the table itself, outside the migrations; a
database it did so in keeps its table and rows, and any other gets the table here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 01:46:24.233452
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    if sa.inspect(op.get_bind()).has_table("seller"):
        return  # created by the backend of an earlier build, with these same columns
    op.create_table(
        "seller",
        sa.Column("seller_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seller_id"),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("seller")
