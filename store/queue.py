"""The review queue as a reviewer reads it: open escalations, filtered, in the order
`LeaseStore.claim_next` takes them, a page at a time, each with its case's title and kind
and the lease that binds it now, if any.

One query reads a page (escalation, run and lease joined), a second counts the rows the
filters leave: the database filters, sorts and pages, so a page costs the same with ten
open escalations or ten thousand. Pages are offsets: the queue is ordered by priority,
risk and age, not by a unique key that only grows, and a reviewer pages a few screens of
it at most; a row resolved meanwhile shifts the next page by one, which the queue shows
again on its next read anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, func, literal, or_, select
from sqlalchemy.types import DateTime

from auditgraph.store.records import EscalationRecord, as_utc, utcnow
from auditgraph.store.search import json_has_any
from auditgraph.store.tables import EscalationRow, LeaseRow, RunRow

__all__ = ["QueueFilter", "QueueLease", "QueuePage", "QueueRow", "open_queues", "queue_page"]

_ESC = EscalationRow.__table__  # type: ignore[attr-defined]
_RUNS = RunRow.__table__  # type: ignore[attr-defined]
_LEASE = LeaseRow.__table__  # type: ignore[attr-defined]
_ORDER = (
    _ESC.c.priority,
    _ESC.c.risk.desc().nulls_last(),
    _ESC.c.opened_at,
    _ESC.c.escalation_id,
)
"""`LeaseStore.claim_next`'s order (most urgent, riskiest, oldest), then the id: a total
order, so offsets never show a row twice or skip one between reads of an unchanged queue."""


@dataclass(frozen=True)
class QueueFilter:
    """Which open escalations to show; every field set narrows them (None: any)."""

    queue: str | None = None
    priority: int | None = None
    """1 is the most urgent."""
    area: str | None = None
    """A policy area the escalation names."""
    case_kind: str | None = None
    waited: timedelta | None = None
    """Only escalations opened at least this long ago."""

    def __post_init__(self) -> None:
        """Check the wait is not negative.

        Raises:
            ValueError: `waited` is negative.
        """
        if self.waited is not None and self.waited < timedelta(0):
            raise ValueError(
                f"waited must not be negative (got {self.waited!r}); give e.g. timedelta(hours=4)"
            )


@dataclass(frozen=True)
class QueueLease:
    """The lease binding an escalation now: who works on it, leased or held."""

    holder: str
    state: Literal["leased", "held"]
    note: str | None
    until: datetime
    """When a "leased" lease ends (a "held" one does not)."""


@dataclass(frozen=True)
class QueueRow:
    """One open escalation as the queue shows it."""

    escalation: EscalationRecord
    title: str
    """The listing's title, else the case id; "(case erased)" when the case is gone."""
    case_kind: str
    lease: QueueLease | None
    """The unexpired or held lease on it; None when it is free to claim."""


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue and where it sits in the whole."""

    rows: list[QueueRow]
    total: int
    """How many open escalations pass the filters, on every page."""
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        """Whether rows follow this page."""
        return self.offset + len(self.rows) < self.total

    @property
    def has_previous(self) -> bool:
        """Whether rows come before this page."""
        return self.offset > 0


def _conditions(conn: Connection, filters: QueueFilter, now: datetime) -> list[Any]:
    found: list[Any] = [_ESC.c.status == "open"]
    if filters.queue is not None:
        found.append(_ESC.c.queue == filters.queue)
    if filters.priority is not None:
        found.append(_ESC.c.priority == filters.priority)
    if filters.case_kind is not None:
        found.append(_RUNS.c.case_kind == filters.case_kind)
    if filters.area is not None:
        found.append(json_has_any(conn, _ESC.c.areas, [filters.area], _ESC))
    if filters.waited is not None:
        found.append(_ESC.c.opened_at <= literal(now - filters.waited, DateTime(timezone=True)))
    return found


def queue_page(
    engine: Engine,
    filters: QueueFilter | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> QueuePage:
    """Up to `limit` open escalations passing `filters`, after the first `offset` of them,
    in the queue's order; `now` (default: the clock) judges waits and lease expiry.

    Raises:
        ValueError: `limit` is below 1, `offset` below 0, or `now` is naive.
    """
    if limit < 1 or offset < 0:
        raise ValueError(f"limit must be at least 1 and offset at least 0 (got {limit!r}, {offset!r})")
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError(f"now {now.isoformat()!r} has no time zone; give an aware time")
    filters = filters or QueueFilter()
    # Stored times are UTC, and SQLite compares them as text without their offset.
    now = now.astimezone(UTC)
    lease = and_(
        _LEASE.c.escalation_id == _ESC.c.escalation_id,
        or_(_LEASE.c.state == "held", _LEASE.c.leased_until >= literal(now, DateTime(timezone=True))),
    )
    joined = _ESC.outerjoin(_RUNS, _RUNS.c.run_id == _ESC.c.run_id).outerjoin(_LEASE, lease)
    with engine.connect() as conn:
        where = _conditions(conn, filters, now)
        page = (
            select(
                *_ESC.c,
                _RUNS.c.case_kind.label("run_case_kind"),
                _RUNS.c.case_json[("listing", "title")].as_string().label("listing_title"),
                _RUNS.c.case_json["case_id"].as_string().label("case_case_id"),
                _LEASE.c.holder.label("lease_holder"),
                _LEASE.c.state.label("lease_state"),
                _LEASE.c.note.label("lease_note"),
                _LEASE.c.leased_until.label("lease_until"),
            )
            .select_from(joined)
            .where(*where)
            .order_by(*_ORDER)
            .limit(limit)
            .offset(offset)
        )
        rows = [_row(r) for r in conn.execute(page).mappings()]
        counted = select(func.count()).select_from(_ESC.outerjoin(_RUNS, _RUNS.c.run_id == _ESC.c.run_id))
        total = int(conn.execute(counted.where(*where)).scalar_one())
    return QueuePage(rows=rows, total=total, offset=offset, limit=limit)


def open_queues(engine: Engine) -> list[str]:
    """The queues that hold open escalations, by name."""
    query = select(_ESC.c.queue).where(_ESC.c.status == "open").distinct().order_by(_ESC.c.queue)
    with engine.connect() as conn:
        return [q for (q,) in conn.execute(query)]


def _row(row: Any) -> QueueRow:
    escalation = EscalationRecord.model_validate(
        {name: as_utc(row[name]) for name in EscalationRecord.model_fields}
    )
    title = row["listing_title"] or row["case_case_id"] or "(case erased)"
    holder = row["lease_holder"]
    lease = (
        None
        if holder is None
        else QueueLease(holder, row["lease_state"], row["lease_note"], as_utc(row["lease_until"]))
    )
    return QueueRow(
        escalation=escalation, title=str(title), case_kind=row["run_case_kind"] or "", lease=lease
    )
