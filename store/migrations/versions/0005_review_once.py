"""One review per escalation: a second review row for the same escalation is refused.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

NAME = "uq_review_escalation"


def upgrade() -> None:
    """Apply this revision."""
    found = sa.inspect(op.get_bind()).get_unique_constraints("review")
    if any(c["name"] == NAME or c["column_names"] == ["escalation_id"] for c in found):
        return  # a database adopted from tables created by the models, which have it
    with op.batch_alter_table("review") as batch:
        batch.create_unique_constraint(NAME, ["escalation_id"])


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("review") as batch:
        batch.drop_constraint(NAME, type_="unique")
