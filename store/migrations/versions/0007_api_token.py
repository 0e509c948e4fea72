"""API tokens: a SHA-256 digest of each token (never the token), its name and role.

One active token per name (a partial unique index; a revoked token keeps its name). On
PostgreSQL a guard lets a row change only in its last use and, once, its revocation:
a token cannot be un-revoked, renamed, given another role or another digest, or deleted,
by any role (the runtime role's column privileges say the same, `store.roles`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_ACTIVE_NAME = "uq_api_token_active_name"

_GUARD = """CREATE OR REPLACE FUNCTION auditgraph_api_token_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
           AND (to_jsonb(NEW) - ARRAY['last_used_at', 'revoked_at'])
               = (to_jsonb(OLD) - ARRAY['last_used_at', 'revoked_at'])
           AND (OLD.revoked_at IS NULL OR NEW.revoked_at IS NOT DISTINCT FROM OLD.revoked_at) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'auditgraph: % on api_token is refused: a token changes only its last use, and is revoked once, for good', TG_OP;
    END $$ LANGUAGE plpgsql"""


def upgrade() -> None:
    """Apply this revision."""
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("api_token"):
        op.create_table(
            "api_token",
            sa.Column("token_id", sa.String(), primary_key=True),
            sa.Column("token_digest", sa.String(), nullable=False, unique=True),
            sa.Column("hint", sa.String(), nullable=False),
            sa.Column("name", sa.String(), nullable=False),
            sa.Column("role", sa.String(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        )
    if not any(i["name"] == _ACTIVE_NAME for i in sa.inspect(op.get_bind()).get_indexes("api_token")):
        op.create_index(
            _ACTIVE_NAME,
            "api_token",
            ["name"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_GUARD)
        op.execute(
            "CREATE OR REPLACE TRIGGER api_token_guard BEFORE UPDATE OR DELETE ON api_token "
            "FOR EACH ROW EXECUTE FUNCTION auditgraph_api_token_guard()"
        )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("api_token")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS auditgraph_api_token_guard()")
