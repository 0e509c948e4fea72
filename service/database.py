"""The database behind `AUDITGRAPH_DATABASE_URL`: one URL, opened here for every door.

The audit record goes through a SQLAlchemy engine (`store.make_engine`, which owns how
SQLite and PostgreSQL are tuned); LangGraph's checkpoints live in the same database and
are reached from that engine, never by reading the URL a second time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import cast

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from auditgraph.service.checkpointers import FencedSqliteSaver, fenced_postgres_saver
from auditgraph.store import StoreError, make_engine, sqlite_path
from auditgraph.store.schema import require_migration_rights, schema_lock
from auditgraph.workflows.checkpoint import checkpoint_serde

__all__ = ["Database", "describe_url", "open_database", "setup_checkpoints"]


class Database:
    """An open database: `engine` for the audit record, `checkpointer` for LangGraph."""

    def __init__(
        self, url: str, engine: Engine, resources: ExitStack, *, checkpoint_pool_size: int = 4
    ) -> None:
        self.url = url
        self.engine = engine
        self._resources = resources
        self._checkpoint_pool_size = checkpoint_pool_size
        self._checkpointer: BaseCheckpointSaver | None = None

    @property
    def checkpointer(self) -> BaseCheckpointSaver:
        """LangGraph's saver in this database, connected on first use.

        Lazy so that a caller can open the audit store on `engine` first: a database the
        store refuses (unknown schema revision, not a database) is reported as such, and
        PostgreSQL checkpoint tables are not created in it.
        """
        if self._checkpointer is None:
            self._checkpointer = self._resources.enter_context(
                _open_checkpointer(self.url, self.engine, self._checkpoint_pool_size)
            )
        return self._checkpointer


@contextmanager
def open_database(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, checkpoint_pool_size: int = 4
) -> Iterator[Database]:
    """The engine and the checkpointer for `url`; both are closed on exit.

    A SQLite file: the checkpointer gets a connection made by the engine, with the same
    pragmas (WAL, synchronous=NORMAL, busy timeout). In-memory SQLite: checkpoints in
    memory. PostgreSQL: `PostgresSaver` on a psycopg pool of `checkpoint_pool_size`
    connections to the engine's URL (the postgres extra); the engine's own pool holds
    `pool_size` (and `max_overflow` more under load). Both savers check a worker's lease
    before each write (`service.checkpointers`).

    Reading `checkpointer` raises `StoreError` for a database that can keep the audit
    record but not checkpoints (neither SQLite nor PostgreSQL).
    """
    engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    try:
        with ExitStack() as resources:
            yield Database(url, engine, resources, checkpoint_pool_size=checkpoint_pool_size)
    finally:
        engine.dispose()


def describe_url(url: str) -> str:
    """`url` for a message: quoted, password hidden, and a relative SQLite file resolved."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return repr(url)
    shown = repr(parsed.render_as_string(hide_password=True))
    path = sqlite_path(url)
    return f"{shown} ({path.resolve()})" if path is not None and not path.is_absolute() else shown


@contextmanager
def _open_checkpointer(url: str, engine: Engine, pool_size: int) -> Iterator[BaseCheckpointSaver]:
    if sqlite_path(url) is not None:
        yield from _sqlite_saver(engine)
    elif engine.dialect.name == "sqlite":
        yield InMemorySaver(serde=checkpoint_serde())
    elif engine.dialect.name == "postgresql":
        yield from _postgres_saver(engine, pool_size)
    else:
        raise StoreError(f"checkpoints need SQLite or PostgreSQL, not {engine.dialect.name}")


def _sqlite_saver(engine: Engine) -> Iterator[BaseCheckpointSaver]:
    # Detached, the connection belongs to the saver for the database's lifetime and holds
    # no slot of the engine's pool; closing it then closes the file handle.
    connection = engine.raw_connection()
    driver = cast(sqlite3.Connection, connection.driver_connection)
    connection.detach()
    try:
        yield FencedSqliteSaver(driver, serde=checkpoint_serde())
    finally:
        connection.close()


def _postgres_saver(engine: Engine, pool_size: int) -> Iterator[BaseCheckpointSaver]:
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool
    except ImportError as exc:
        raise RuntimeError(
            "a PostgreSQL database_url needs the postgres extra: pip install -e '.[postgres]'"
        ) from exc
    # psycopg takes libpq's URL: the engine's own, without SQLAlchemy's "+driver".
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    if not _checkpoints_current(engine, len(PostgresSaver.MIGRATIONS)):
        require_migration_rights(engine, "the checkpoint tables are missing or behind")
        setup_checkpoints(engine)
    # The settings PostgresSaver.from_conn_string uses, on a pool that replaces a broken
    # connection (a database restart) instead of failing every later checkpoint.
    pool = ConnectionPool(
        conninfo,
        min_size=1,
        max_size=pool_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        check=ConnectionPool.check_connection,
        open=True,
    )
    try:
        yield fenced_postgres_saver(pool, checkpoint_serde())
    finally:
        pool.close()


def _checkpoints_current(engine: Engine, migrations: int) -> bool:
    """Whether LangGraph's checkpoint tables are at its newest migration (checked first:
    its `setup` issues CREATE TABLE IF NOT EXISTS, which a runtime role may not run)."""
    with engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass('checkpoint_migrations')")).scalar() is None:
            return False
        newest = conn.execute(text("SELECT max(v) FROM checkpoint_migrations")).scalar()
    return newest is not None and newest >= migrations - 1


def setup_checkpoints(engine: Engine) -> None:
    """Create or bring up to date LangGraph's checkpoint tables on PostgreSQL, as the
    connected role (`auditgraph db migrate` runs this as the migration role).

    `PostgresSaver.setup`'s own migrations, one process at a time (they are
    check-then-insert), except that its indexes are built with plain CREATE INDEX: the
    tables are new or small here, and CREATE INDEX CONCURRENTLY waits for every older
    transaction in the whole database, however unrelated.
    """
    from langgraph.checkpoint.postgres import PostgresSaver

    migrations = PostgresSaver.MIGRATIONS
    with schema_lock(engine), engine.begin() as conn:
        conn.exec_driver_sql(migrations[0])
        done = conn.exec_driver_sql("SELECT max(v) FROM checkpoint_migrations").scalar()
        for version in range(-1 if done is None else done, len(migrations) - 1):
            conn.exec_driver_sql(migrations[version + 1].replace("INDEX CONCURRENTLY", "INDEX"))
            conn.execute(text("INSERT INTO checkpoint_migrations (v) VALUES (:v)"), {"v": version + 1})
