"""Idempotent submissions: an idempotency key names one run, whoever sends it and however often.

A client that retries a submission (a timeout, a lost response) sends the same key again,
and must get the run the first one started rather than a second audit of the same case.
`SubmissionStore.claim` records the key with the digest of the body and the run id in one
`INSERT ... ON CONFLICT DO NOTHING`, then reads the row back: the database's primary key
decides, so of two concurrent claims of one key exactly one is `created` and both read the
same run. The caller compares `body_digest` to refuse the key reused with another body.

Rows are never changed or removed: on PostgreSQL the runtime role may only insert and
read them, and a trigger refuses any UPDATE or DELETE (revision 0008).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Insert, select
from sqlalchemy.dialects import postgresql, sqlite

from auditgraph.store.base import StoreError
from auditgraph.store.chain import digest
from auditgraph.store.records import as_utc, utcnow
from auditgraph.store.schema import upgrade
from auditgraph.store.tables import SubmissionRow

__all__ = ["MAX_KEY", "Submission", "SubmissionStore", "digest_body", "valid_key"]

MAX_KEY = 200
"""The longest idempotency key, in characters."""

_KEY = re.compile(r"[!-~]+")
"""Printable ASCII without the space: what fits in a header unquoted and reads back the same."""
_DIGEST = re.compile(r"[0-9a-f]{64}")
_TABLE = SubmissionRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Submission:
    """An idempotency key and the run it names."""

    key: str
    body_digest: str
    """SHA-256 (hex) of the canonical JSON of the body first submitted under the key."""
    run_id: str
    """The run the first submission started."""
    created_at: datetime
    created: bool
    """True for the one claim that recorded the key; False when it was already recorded."""


def valid_key(key: str) -> str:
    """`key` if it is a usable idempotency key.

    Raises:
        ValueError: not a string of 1 to `MAX_KEY` printable ASCII characters without spaces.
    """
    if not isinstance(key, str) or not key:
        raise ValueError(
            f"an idempotency key must be a non-empty string (got {key!r}); send one such as a UUID"
        )
    if len(key) > MAX_KEY:
        raise ValueError(
            f"an idempotency key has at most {MAX_KEY} characters (got {len(key)}); send a shorter one"
        )
    if not _KEY.fullmatch(key):
        raise ValueError(
            f"idempotency key {key!r} may hold only printable ASCII characters, without spaces; "
            "send one such as a UUID"
        )
    return key


def digest_body(body: Any) -> str:
    """The digest a submission's body is recorded under: SHA-256 of its canonical JSON
    (sorted keys, no whitespace), so the same JSON sent again matches however it is laid out."""
    return digest(body)


class SubmissionStore:
    """Idempotency keys in the audit database (SQLite or PostgreSQL); brings the schema to
    the newest revision on start, as `SqlAuditStore` does. `clock` gives the time."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self._clock = clock
        upgrade(engine)

    def _insert(self) -> Insert:
        name = self.engine.dialect.name
        if name == "postgresql":
            return postgresql.insert(_TABLE)
        if name == "sqlite":
            return sqlite.insert(_TABLE)
        raise StoreError(f"idempotent submissions need SQLite or PostgreSQL, not {name!r}")

    def claim(self, key: str, body_digest: str, run_id: str) -> Submission:
        """Record `key` for `run_id` unless it is recorded already; return the key's record.

        `created` is True only for the call that recorded it; otherwise `run_id` and
        `body_digest` are those of the first claim (compare `body_digest` with yours).

        Raises:
            ValueError: a malformed key, or `body_digest` is not a SHA-256 hex digest.
        """
        key = valid_key(key)
        if not isinstance(body_digest, str) or not _DIGEST.fullmatch(body_digest):
            raise ValueError(
                f"body digest {body_digest!r} is not a SHA-256 hex digest (64 lower-case hex digits); "
                "compute it with digest_body"
            )
        statement = (
            self._insert()  # type: ignore[attr-defined]
            .values(key=key, body_digest=body_digest, run_id=run_id, created_at=self._clock())
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(_TABLE.c.key)
        )
        with self.engine.begin() as conn:
            # RETURNING, not rowcount: a row comes back only when this statement inserted it.
            inserted = conn.execute(statement).first() is not None
            # PostgreSQL (read committed): a concurrent claim's insert waits for the first to
            # commit, and this statement's new snapshot then sees its row.
            row = conn.execute(select(_TABLE).where(_TABLE.c.key == key)).mappings().one()
        return _submission(row, created=inserted)

    def get(self, key: str) -> Submission | None:
        """The record of `key` (`created` False), or None if it was never claimed.

        Raises:
            ValueError: a malformed key.
        """
        key = valid_key(key)
        with self.engine.connect() as conn:
            row = conn.execute(select(_TABLE).where(_TABLE.c.key == key)).mappings().first()
        return None if row is None else _submission(row, created=False)


def _submission(row: Any, *, created: bool) -> Submission:
    return Submission(
        key=row["key"],
        body_digest=row["body_digest"],
        run_id=row["run_id"],
        created_at=as_utc(row["created_at"]),
        created=created,
    )
