"""The audit record's schema, kept at the newest revision by Alembic (store/migrations).

`upgrade` runs when a store opens: a new database gets every table, an older one gets
the revisions it lacks, and one at the newest revision costs a single plain query. A database
whose tables were created before migrations existed is adopted at the first revision
when its columns match it, and refused with a clear message when they do not.

Many processes may open a new database at the same moment: the migration (and anything
else that sets a database up, such as seeding) runs under `schema_lock`, a PostgreSQL
advisory lock or, on a SQLite file, an exclusive lock on a file beside it, and checks
the revision again once it holds the lock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_random_exponential

from auditgraph.store.base import StoreError
from auditgraph.store.engine import sqlite_path
from auditgraph.store.locks import try_hold, unhold
from auditgraph.store.roles import may_migrate

__all__ = [
    "MigrationNeeded",
    "current_revision",
    "head_revision",
    "require_migration_rights",
    "schema_lock",
    "upgrade",
]

_HERE = Path(__file__).resolve().parent / "migrations"
_FIRST = "0001"
_FIRST_COLUMNS = {"trace_step": {"prev_hash", "hash"}, "run": {"head_hash", "case_json"}}
"""Columns the first revision has that older, unmigrated databases may lack."""


class MigrationNeeded(StoreError):
    """The schema is behind this build and the connected role may not migrate it."""


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
        MigrationNeeded: on PostgreSQL, the schema is behind and the connected role may
            not change it (run `auditgraph db migrate`); nothing was changed.
        StoreError: the database holds audit tables from before migrations that do not
            match the first revision (recreate it, or migrate it by hand), or it is at a
            revision this code does not know (a newer build migrated it).
    """
    if _at_head(engine):
        return head_revision()
    current = _readable_revision(engine)
    if current == head_revision():
        return current
    if current is not None and _unknown(current):
        raise StoreError(
            f"the database is at schema revision {current!r}, which this auditgraph does not know "
            f"(its newest is {head_revision()!r}): use the build that created it, or another database"
        )
    require_migration_rights(
        engine, f"the schema is at revision {current or 'none'} and this auditgraph needs {head_revision()}"
    )
    with schema_lock(engine):
        # Another process may have migrated while we waited for the lock.
        if current_revision(engine) == head_revision():
            return head_revision()
        config = _config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            try:
                _adopt_unmigrated(conn, config)
                command.upgrade(config, "head")
            finally:
                config.attributes.pop("connection", None)
    return head_revision()


LOCK_WAIT_S = 600.0
"""How long a process waits for another to finish setting the database up."""
_SCHEMA_LOCK = "auditgraph.schema"
"""The named lock (`store.locks`) that serialises set-up of one schema; other schemas of
the same database are set up independently."""


@contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's set-up lock: one process at a time migrates or seeds it.

    PostgreSQL: a session-level advisory lock on the schema (freed if the holder dies),
    taken by polling between transactions rather than by waiting in one: a waiting
    statement holds a snapshot, and LangGraph's checkpoint set-up (CREATE INDEX
    CONCURRENTLY, under this lock) waits for every older snapshot in the database, so a
    waiter would deadlock with the holder.
    A SQLite file: an exclusive `flock` on `<file>.lock` (freed when the holder exits,
    however it exits). In-memory SQLite belongs to one process: no lock.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            _take_advisory_lock(conn)
            try:
                yield
            finally:
                unhold(conn, _SCHEMA_LOCK)
        return
    path = sqlite_path(str(engine.url))
    if path is None:
        yield
        return
    yield from _file_lock(path.with_name(path.name + ".lock"))


def _take_advisory_lock(conn: Connection) -> None:
    """Take the set-up lock by polling, each try its own short transaction.

    Never `pg_advisory_lock`: a process blocked in it holds a transaction open, and the
    holder's `CREATE INDEX CONCURRENTLY` (the checkpointer's set-up) waits for every open
    transaction to end, so the two would wait for each other forever.
    """
    polling = Retrying(
        retry=retry_if_result(lambda taken: not taken),
        wait=wait_random_exponential(multiplier=0.02, max=0.5),
        stop=stop_after_delay(LOCK_WAIT_S),
        retry_error_callback=lambda _: False,
    )
    taken = polling(try_hold, conn, _SCHEMA_LOCK)
    if not taken:
        raise StoreError(
            f"another process has held the database's set-up lock for {LOCK_WAIT_S:.0f} s "
            "(migrating or seeding it); try again when it has finished"
        )


def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # Windows: msvcrt's byte-range lock, retried until free
            import msvcrt
            import time

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    time.sleep(0.05)
            try:
                yield
            finally:
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _at_head(engine: Engine) -> bool:
    """Whether the database is at the newest revision, by one plain query: stores open
    per request (a lease store on the case page) and alembic's own check costs several.
    Any doubt (no version table yet, no right to read it) answers False, and `upgrade`
    takes its full path, which says what is wrong."""
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:
        return False
    return found == [head_revision()]


def _readable_revision(engine: Engine) -> str | None:
    try:
        return current_revision(engine)
    except ProgrammingError as exc:
        if getattr(exc.orig, "sqlstate", None) != _NO_PRIVILEGE:
            raise
    raise MigrationNeeded(
        "this role may not read the schema's revision (the runtime rights are not granted yet): "
        "run `auditgraph db migrate` (as the migration role, AUDITGRAPH_MIGRATION_DATABASE_URL), then start again"
    )


_NO_PRIVILEGE = "42501"
"""PostgreSQL's SQLSTATE for insufficient_privilege."""


def require_migration_rights(engine: Engine, behind: str) -> None:
    """On PostgreSQL, refuse before touching anything when something is `behind` and the
    connected role cannot migrate (the runtime role of `store.roles`): the operator
    migrates as the owner.

    Raises:
        MigrationNeeded: saying what is behind and the command that brings it up to date.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        if may_migrate(conn):
            return
        role = conn.execute(text("SELECT current_user")).scalar_one()
    raise MigrationNeeded(
        f"{behind}, and role {role!r} may not migrate: run `auditgraph db migrate` "
        "(as the migration role, AUDITGRAPH_MIGRATION_DATABASE_URL), then start again"
    )


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
