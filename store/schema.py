"""The audit record's schema, kept at the newest revision by Alembic (store/migrations).

`upgrade` runs when a store opens: a new database gets every table, an older one gets
the revisions it lacks, and one at the newest revision costs a single query. A database
whose tables were created before migrations existed is adopted at the first revision
when its columns match it, and refused with a clear message when they do not.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import OperationalError, ProgrammingError

from auditgraph.store.base import StoreError

__all__ = ["current_revision", "head_revision", "upgrade"]

_HERE = Path(__file__).resolve().parent / "migrations"
_FIRST = "0001"
_FIRST_COLUMNS = {"trace_step": {"prev_hash", "hash"}, "run": {"head_hash", "case_json"}}
"""Columns the first revision has that older, unmigrated databases may lack."""


@cache
def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    return config


@cache
def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision, or None before the first migration."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Bring the database to the newest revision; returns it.

    Raises:
        StoreError: the database holds audit tables from before migrations that do not
            match the first revision (recreate it, or migrate it by hand), or it is at a
            revision this code does not know (a newer build migrated it).
    """
    current = current_revision(engine)
    if current == head_revision():
        return current
    if current is not None and _unknown(current):
        raise StoreError(
            f"the database is at schema revision {current!r}, which this auditgraph does not know "
            f"(its newest is {head_revision()!r}): use the build that created it, or another database"
        )
    config = _config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            try:
                _adopt_unmigrated(conn, config)
                command.upgrade(config, "head")
            finally:
                config.attributes.pop("connection", None)
    except (OperationalError, ProgrammingError):
        # Another process created the tables between our check and our migration.
        if current_revision(engine) != head_revision():
            raise
    return head_revision()


def _unknown(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is None
    except CommandError:  # alembic's "Can't locate revision"
        return True


def _adopt_unmigrated(conn: object, config: Config) -> None:
    if MigrationContext.configure(conn).get_current_revision() is not None:  # type: ignore[arg-type]
        return
    inspector = inspect(conn)
    existing = set(inspector.get_table_names())
    if "run" not in existing:
        return
    missing = [
        f"{table}.{column}"
        for table, columns in _FIRST_COLUMNS.items()
        for column in sorted(columns - {c["name"] for c in inspector.get_columns(table)})
    ]
    if missing:
        raise StoreError(
            f"this database was created by an older auditgraph and lacks {', '.join(missing)}; "
            "point AUDITGRAPH_DATABASE_URL at a new database (or move the old file aside)"
        )
    command.stamp(config, _FIRST)
