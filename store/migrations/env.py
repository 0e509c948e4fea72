"""Alembic's environment: migrate the connection `store.schema` hands over, or `-x url=...`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

from auditgraph.store import tables
from auditgraph.store.engine import make_engine

_OURS = {t.__tablename__ for t in tables.ALL}  # type: ignore[attr-defined]


def _include(_object: object, name: str | None, type_: str, *_: object) -> bool:
    # The same database holds the checkpointer's tables, which are not ours to migrate.
    return type_ != "table" or name in _OURS


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=SQLModel.metadata,
        include_object=_include,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":  # type: ignore[attr-defined]
            # Two processes opening a new database at once: one migrates, the other waits.
            connection.execute(text("SELECT pg_advisory_xact_lock(7246021)"))  # type: ignore[attr-defined]
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(context.get_x_argument(as_dictionary=True)["url"])
    with engine.begin() as conn:
        _run(conn)
