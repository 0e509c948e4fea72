"""Idempotent submissions, and who reviewed what they were shown.

`submission` maps an idempotency key to the run its first submission started, with the
digest of the body submitted under it (see `store.submissions`). A key is claimed once
and for good: on PostgreSQL its rows are append-only (the trigger function of revision
0001) and the runtime role may only insert and read them (`store.roles`).

`review` gains two nullable columns: the reviewer's role, and the digest of the run as
the reviewer was shown it (`store.review_digest`). Reviews recorded before stay as they
were, with both NULL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_REVIEW_COLUMNS = ("reviewer_role", "review_digest")


def upgrade() -> None:
    """Apply this revision."""
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("submission"):
        op.create_table(
            "submission",
            sa.Column("key", sa.String(200), primary_key=True),
            sa.Column("body_digest", sa.String(), nullable=False),
            sa.Column("run_id", sa.String(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
    present = {c["name"] for c in inspector.get_columns("review")}
    for column in _REVIEW_COLUMNS:
        if column not in present:  # absent unless the table was made from the models
            # A plain ADD COLUMN (nullable, no default): SQLite needs no copy of the table.
            op.add_column("review", sa.Column(column, sa.String(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # Inserted, never updated or deleted (the function of revision 0001).
        op.execute(
            "CREATE OR REPLACE TRIGGER submission_append_only BEFORE UPDATE OR DELETE ON submission "
            "FOR EACH ROW EXECUTE FUNCTION auditgraph_append_only()"
        )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("submission")
    with op.batch_alter_table("review") as batch:
        for column in _REVIEW_COLUMNS:
            batch.drop_column(column)
