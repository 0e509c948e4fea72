"""The leased review queue: reviewers claim open escalations to work on them, one each.

A lease (`escalation_lease`, revision 0009) names the reviewer (`holder`, a token's
name, and the token's id) working on one open escalation until `leased_until`. A
lease in state "leased" expires when that time passes and the escalation is free for
anyone again; a lease in state "held" (parked with a note, e.g. waiting on a
specialist) never expires by time: only its holder releases it, or an admin reassigns
it. Once an escalation is resolved its lease stops mattering: it is never claimed,
and no lease on it is shown or changed.

`LeaseStore.claim_next` leases the first free escalation in the queue's order
(priority, then risk, highest first and unknown last, then oldest) in one statement,
`INSERT INTO escalation_lease ... SELECT <first free escalation> ON CONFLICT
(escalation_id) DO UPDATE ... WHERE <the existing lease has expired> RETURNING ...`:

- on SQLite writes are serialised, so the statement reads and writes as one step;
- on PostgreSQL the SELECT locks the escalation row it picks (`FOR UPDATE SKIP
  LOCKED`), so concurrent claims pick different rows; if one picks a row whose lease
  another claim has just committed, the conflict clause's WHERE (evaluated on the
  newest row) refuses the takeover, nothing is returned, and the claim tries again
  with a fresh snapshot.

Either way no escalation is handed to two callers. A holder with an unexpired lease
gets that lease back rather than a second one (on PostgreSQL a transaction-scoped
advisory lock on the holder's name keeps two claims by one holder from racing).

Leases are operational data, not the signed audit record: the runtime role may
update and delete them (`store.roles`). A skip (`release`) deletes the lease; its
reason goes to the `auditgraph.store.leases` logger, not to the audit record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    DateTime,
    Engine,
    Insert,
    String,
    and_,
    cast,
    delete,
    exists,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from auditgraph.store.base import StoreError
from auditgraph.store.locks import hold_for_transaction
from auditgraph.store.records import as_utc, utcnow
from auditgraph.store.schema import upgrade
from auditgraph.store.tables import EscalationRow, LeaseRow

__all__ = ["Lease", "LeaseError", "LeaseState", "LeaseStore"]

LeaseState = Literal["leased", "held"]
"""leased: until `leased_until`; held: parked by its holder, beyond any time."""

_LEASE = LeaseRow.__table__  # type: ignore[attr-defined]
_ESC = EscalationRow.__table__  # type: ignore[attr-defined]
_ATTEMPTS = 8
"""Claims on PostgreSQL that lose a race for a row try again this many times in all."""
_log = logging.getLogger(__name__)


class LeaseError(StoreError):
    """A lease cannot be given: the escalation is unknown or no longer open."""


@dataclass(frozen=True)
class Lease:
    """One reviewer's lease on one open escalation."""

    escalation_id: str
    run_id: str
    holder: str
    """The token name of the reviewer holding the lease."""
    token_id: str
    """The id of the token the holder authenticated with."""
    state: LeaseState
    leased_until: datetime
    """When a "leased" lease expires (timezone-aware UTC); a "held" one ignores it."""
    note: str | None = None
    """Why the lease is held, if it is."""
    clock: Callable[[], datetime] = field(default=utcnow, compare=False, repr=False)
    """The store's clock, which `expired` reads."""

    @property
    def expired(self) -> bool:
        """True when the lease is "leased" and its time has passed: anyone may claim it."""
        return self.state == "leased" and self.leased_until < self.clock()


class LeaseStore:
    """Leases on open escalations in the audit database (SQLite or PostgreSQL); brings
    the schema to the newest revision on start, as `SqlAuditStore` does. `clock` gives
    the time every expiry is judged against."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self._clock = clock
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise StoreError(f"the review queue needs SQLite or PostgreSQL, not {engine.dialect.name!r}")
        upgrade(engine)

    def claim_next(
        self,
        holder: str,
        token_id: str,
        *,
        ttl: timedelta,
        queue: str | None = None,
        priority: int | None = None,
    ) -> Lease | None:
        """Lease the first free open escalation to `holder` for `ttl`; None when none is free.

        Free means without a lease, or with a "leased" lease whose time has passed. If
        `holder` already has an unexpired "leased" lease on an open escalation, that lease
        is returned (whatever `queue` and `priority` say) and nothing new is taken; held
        leases do not count, so a reviewer may park one and take the next.

        Args:
            holder: the reviewer's token name.
            token_id: the id of the reviewer's token.
            ttl: how long the lease lasts unless extended.
            queue: only escalations in this queue.
            priority: only escalations of this priority (1 is the most urgent).

        Raises:
            ValueError: `ttl` is not positive, or `holder` or `token_id` is empty.
        """
        _check_holder(holder, token_id)
        now, until = self._clock(), self._clock() + _positive(ttl)
        claim = _claim(self._insert(), now, holder, token_id, until, queue=queue, priority=priority)
        with self.engine.begin() as conn:
            hold_for_transaction(conn, f"auditgraph.escalation_lease:{holder}")
            for _ in range(_ATTEMPTS):
                row = conn.execute(claim).mappings().first()
                if row is not None:
                    return self._lease(row)
                mine = conn.execute(_holders_lease(holder, now)).mappings().first()
                if mine is not None:
                    return self._lease(mine)
                if (
                    conn.execute(select(_free(now, queue=queue, priority=priority).exists())).scalar()
                    is False
                ):
                    return None
        return None

    def extend(self, escalation_id: str, holder: str, *, ttl: timedelta) -> Lease | None:
        """Move the lease's expiry to now + `ttl`, if `holder` holds it and it has not
        expired (or is held); its state and note stay. None otherwise."""
        now = self._clock()
        until = now + _positive(ttl)
        return self._update(escalation_id, holder, now, {"leased_until": until, "updated_at": now})

    def hold(self, escalation_id: str, holder: str, *, note: str) -> Lease | None:
        """Park the lease ("held", with `note`): it no longer expires by time. Only its
        holder, while the lease is unexpired or already held; None otherwise.

        Raises:
            ValueError: `note` is empty.
        """
        if not note or not note.strip():
            raise ValueError(f"a hold needs a note saying why (got {note!r})")
        now = self._clock()
        return self._update(escalation_id, holder, now, {"state": "held", "note": note, "updated_at": now})

    def release(self, escalation_id: str, holder: str, *, reason: str) -> bool:
        """Give the escalation back to the queue (a skip): delete `holder`'s unexpired or
        held lease on it; True if there was one. The reason is logged, not stored: leases
        are operational data, not the audit record.

        Raises:
            ValueError: `reason` is empty.
        """
        if not reason or not reason.strip():
            raise ValueError(f"a release needs a reason (got {reason!r}); say why the escalation was skipped")
        statement = (
            delete(_LEASE)
            .where(
                _LEASE.c.escalation_id == escalation_id, _LEASE.c.holder == holder, _current(self._clock())
            )
            .returning(_LEASE.c.escalation_id)
        )
        with self.engine.begin() as conn:
            released = conn.execute(statement).first() is not None
        if released:
            _log.info("lease on %s released by %s: %s", escalation_id, holder, reason)
        return released

    def reassign(self, escalation_id: str, to_holder: str, to_token_id: str, *, ttl: timedelta) -> Lease:
        """Hand the escalation to `to_holder` for `ttl` (an admin's action): whoever held it,
        and whatever its state, it is now a fresh "leased" lease without a note.

        Raises:
            LeaseError: no open escalation `escalation_id`.
            ValueError: `ttl` is not positive, or `to_holder` or `to_token_id` is empty.
        """
        _check_holder(to_holder, to_token_id)
        now = self._clock()
        until = now + _positive(ttl)
        chosen = select(*_new_lease(to_holder, to_token_id, until, now)).where(
            _ESC.c.escalation_id == escalation_id, _ESC.c.status == "open"
        )
        statement = _upsert(self._insert(), chosen, where=None)
        with self.engine.begin() as conn:
            row = conn.execute(statement).mappings().first()
        if row is None:
            raise LeaseError(
                f"no open escalation {escalation_id!r} to reassign; it may be resolved (list open escalations)"
            )
        return self._lease(row)

    def lease_of(self, escalation_id: str) -> Lease | None:
        """The lease on open escalation `escalation_id`, expired or not; None without one
        (or when the escalation is resolved)."""
        query = select(_LEASE).where(_LEASE.c.escalation_id == escalation_id, _open(_LEASE))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else self._lease(row)

    def active_leases(self) -> list[Lease]:
        """Every unexpired or held lease on an open escalation, in the queue's order."""
        query = (
            select(_LEASE)
            .join(_ESC, _ESC.c.escalation_id == _LEASE.c.escalation_id)
            .where(_ESC.c.status == "open", _current(self._clock()))
            .order_by(*_QUEUE_ORDER)
        )
        with self.engine.connect() as conn:
            return [self._lease(r) for r in conn.execute(query).mappings()]

    def _insert(self) -> Insert:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(_LEASE)

    def _update(self, escalation_id: str, holder: str, now: datetime, values: dict[str, Any]) -> Lease | None:
        statement = (
            update(_LEASE)
            .where(
                _LEASE.c.escalation_id == escalation_id,
                _LEASE.c.holder == holder,
                _current(now),
                _open(_LEASE),
            )
            .values(**values)
            .returning(*_LEASE.c)
        )
        with self.engine.begin() as conn:
            row = conn.execute(statement).mappings().first()
        return None if row is None else self._lease(row)

    def _lease(self, row: Any) -> Lease:
        return Lease(
            escalation_id=row["escalation_id"],
            run_id=row["run_id"],
            holder=row["holder"],
            token_id=row["holder_token_id"],
            state=row["state"],
            leased_until=as_utc(row["leased_until"]),
            note=row["note"],
            clock=self._clock,
        )


_QUEUE_ORDER = (_ESC.c.priority, _ESC.c.risk.desc().nulls_last(), _ESC.c.opened_at)
"""The order of `SqlAuditStore.open_escalations`: most urgent, then riskiest, then oldest."""
_COLUMNS = (
    "escalation_id",
    "run_id",
    "holder",
    "holder_token_id",
    "state",
    "leased_until",
    "note",
    "updated_at",
)


def _time(value: datetime) -> ColumnElement[datetime]:
    return literal(value, DateTime(timezone=True))


def _current(now: datetime) -> ColumnElement[bool]:
    """The lease still binds: held, or leased until now or later."""
    return or_(_LEASE.c.state == "held", _LEASE.c.leased_until >= _time(now))


def _open(lease: Any) -> ColumnElement[bool]:
    """`lease` is on an open escalation (an alias, so no enclosing query correlates it)."""
    escalation = _ESC.alias("leased_escalation")
    return exists().where(escalation.c.escalation_id == lease.c.escalation_id, escalation.c.status == "open")


def _new_lease(holder: str, token_id: str, until: datetime, now: datetime) -> tuple[Any, ...]:
    """The columns of a fresh lease on the escalation row selected from `escalation`."""
    return (
        _ESC.c.escalation_id,
        _ESC.c.run_id,
        literal(holder, String),
        literal(token_id, String),
        literal("leased", String),
        _time(until),
        cast(null(), String),
        _time(now),
    )


def _upsert(insert: Insert, chosen: Any, *, where: ColumnElement[bool] | None) -> Any:
    """Insert the lease `chosen` selects, or replace the escalation's lease (when `where`
    holds of it); return the lease if written."""
    statement = insert.from_select(list(_COLUMNS), chosen)
    excluded = statement.excluded  # type: ignore[attr-defined]
    return statement.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=["escalation_id"],
        set_={c: excluded[c] for c in _COLUMNS if c != "escalation_id"},
        where=where,
    ).returning(*_LEASE.c)


def _free(now: datetime, *, queue: str | None, priority: int | None) -> Any:
    """Open escalations without a binding lease (a select to add columns to)."""
    taken = _LEASE.alias("taken")
    query = (
        select(_ESC.c.escalation_id)
        .select_from(_ESC.outerjoin(taken, taken.c.escalation_id == _ESC.c.escalation_id))
        .where(
            _ESC.c.status == "open",
            or_(
                taken.c.escalation_id.is_(None),
                and_(taken.c.state == "leased", taken.c.leased_until < _time(now)),
            ),
        )
    )
    if queue is not None:
        query = query.where(_ESC.c.queue == queue)
    if priority is not None:
        query = query.where(_ESC.c.priority == priority)
    return query


def _holders_lease(holder: str, now: datetime) -> Any:
    """`holder`'s unexpired "leased" lease on an open escalation, if any."""
    mine = _LEASE.alias("mine")
    return select(mine).where(
        mine.c.holder == holder,
        mine.c.state == "leased",
        mine.c.leased_until >= _time(now),
        _open(mine),
    )


def _claim(
    insert: Insert,
    now: datetime,
    holder: str,
    token_id: str,
    until: datetime,
    *,
    queue: str | None,
    priority: int | None,
) -> Any:
    """The one statement that leases the first free escalation to `holder`, unless the
    holder has an unexpired lease already."""
    chosen = (
        _free(now, queue=queue, priority=priority)
        .with_only_columns(*_new_lease(holder, token_id, until, now))
        .where(~_holders_lease(holder, now).exists())
        .order_by(*_QUEUE_ORDER)
        .limit(1)
        # PostgreSQL: concurrent claims skip the row this one picked (SQLite ignores it).
        .with_for_update(of=_ESC, skip_locked=True)
    )
    # The conflict clause sees the newest lease row: a takeover only of an expired lease.
    expired = and_(_LEASE.c.state == "leased", _LEASE.c.leased_until < _time(now))
    return _upsert(insert, chosen, where=expired)


def _positive(ttl: timedelta) -> timedelta:
    if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
        raise ValueError(
            f"a lease's ttl must be a positive timedelta (got {ttl!r}), e.g. timedelta(minutes=15)"
        )
    return ttl


def _check_holder(holder: str, token_id: str) -> None:
    if not holder or not token_id:
        raise ValueError(
            f"a lease needs a holder and a token id (got {holder!r}, {token_id!r}); pass the token's name and id"
        )
