"""Database engines: SQLite (the default, one file) or PostgreSQL, by URL alone."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["make_engine", "sqlite_path"]


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """An engine for `url`, with SQLite tuned for many short writes; on PostgreSQL a pool of
    `pool_size` connections, `max_overflow` more under load, each checked before use.

    SQLite gets WAL (readers never block the writer), synchronous=NORMAL (durable at
    checkpoints, ~10x cheaper commits), a busy timeout so a second process (a reviewer
    resuming a run) waits instead of failing, and secure_delete, so that what an erasure
    removes or replaces is overwritten with zeros, not left in free pages of the file.
    """
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, json_serializer=_dumps
        )

        @event.listens_for(engine, "connect")
        def _tune(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    if make_url(url).get_backend_name() == "sqlite":
        return create_engine(url, connect_args={"check_same_thread": False}, json_serializer=_dumps)
    return create_engine(
        url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, json_serializer=_dumps
    )


def _dumps(value: object) -> str:
    # orjson is several times faster than json on trace payloads (the hot write path).
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
