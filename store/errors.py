"""Database errors said in words: no SQL text, no parameters, nothing from a case."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

__all__ = ["describe_database_error", "is_database_error"]


def is_database_error(exc: BaseException) -> bool:
    """Whether `exc` came from the database driver or SQLAlchemy."""
    return isinstance(exc, SQLAlchemyError)


def describe_database_error(exc: BaseException) -> str:
    """What went wrong, in words a user can act on; never the statement or its values."""
    if isinstance(exc, IntegrityError):
        return "the database refused a record that conflicts with one already stored"
    if isinstance(exc, OperationalError):
        # The driver's own first line ("database is locked", "connection refused"): it
        # names the condition, never the statement, which SQLAlchemy appends after it.
        said = str(exc.orig or "").strip().splitlines()
        driver = f" ({said[0][:200]})" if said else ""
        return f"the database could not be reached, or stayed locked by another writer{driver}"
    return f"the database failed ({type(exc).__name__})"
