"""Alembic migrations of the audit record's tables; `store.schema` runs them."""
