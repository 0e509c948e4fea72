"""Console preferences: how each reviewer wants listing images shown.

`console_preference` holds one row per console user (by the token holder's name, which
outlives a rotated token): whether images are blurred, clear on hover or always clear,
and whether they are shown in grayscale. Like leases it is operational data, not part of
the signed audit record: the runtime role may insert and update it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    if sa.inspect(op.get_bind()).has_table("console_preference"):
        return  # made from the models (a database adopted from before migrations)
    op.create_table(
        "console_preference",
        sa.Column("holder", sa.String(), primary_key=True),
        sa.Column("images", sa.String(), nullable=False),
        sa.Column("grayscale", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("images IN ('blurred', 'hover', 'clear')", name="ck_console_preference_images"),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("console_preference")
