"""Named PostgreSQL advisory locks, scoped to the current schema.

Processes that share one PostgreSQL serialise a few things by name: appends to the log of
run heads, the dispatch sweep, the retention pass, one holder's escalation claims. Each
name is hashed together with `current_schema()`, so two deployments (or two test sessions)
in different schemas of one database never wait on each other.

On SQLite every call succeeds at once: one machine, and SQLite's write lock already
serialises writers.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

__all__ = ["hold_for_transaction", "try_hold", "try_hold_for_transaction", "unhold"]

_KEY = "hashtextextended(:name || ':' || current_schema(), 0)"


def _postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def hold_for_transaction(conn: Connection, name: str) -> None:
    """Wait for the lock `name` and hold it until `conn`'s transaction ends."""
    if _postgres(conn):
        conn.execute(text(f"SELECT pg_advisory_xact_lock({_KEY})"), {"name": name})


def try_hold_for_transaction(conn: Connection, name: str) -> bool:
    """Take the lock `name` until `conn`'s transaction ends, or False at once when another
    session holds it."""
    if not _postgres(conn):
        return True
    return bool(conn.execute(text(f"SELECT pg_try_advisory_xact_lock({_KEY})"), {"name": name}).scalar())


def try_hold(conn: Connection, name: str) -> bool:
    """Take the lock `name` for `conn`'s session (across transactions), or False at once
    when another session holds it. Give it back with `unhold` on the same connection; a
    session that dies gives it back by itself."""
    if not _postgres(conn):
        return True
    taken = bool(conn.execute(text(f"SELECT pg_try_advisory_lock({_KEY})"), {"name": name}).scalar())
    conn.commit()
    return taken


def unhold(conn: Connection, name: str) -> None:
    """Give back the session lock `name` taken with `try_hold`."""
    if _postgres(conn):
        conn.execute(text(f"SELECT pg_advisory_unlock({_KEY})"), {"name": name})
        conn.commit()
