"""Run search: runs by status, decision, queue, case kind, seller, time, policy area and
outcome (escalated or not, decided or not, the escalation's reason and state, its review,
its SLA), newest first, a page at a time.

Pages are keyset pages on (started, run_id), both descending: a page asks for the runs
strictly after the last one it showed, so runs written meanwhile, or sharing a start time
to the microsecond, are never skipped or shown twice (an offset would shift under new
runs). The cursor carries that last (started, run_id), opaque and URL-safe.

A run is in a policy area when its escalation names the area, or when one of its decision
records cites one of the area's clauses. The store does not read the policy pack, so the
caller passes the area's clause ids (`RunFilter.area_clauses`).

The outcome filters are what the KPI dashboard's figures count (`store.kpis`): each figure
is the number of runs one filter finds, so a figure's drill-down lists exactly its runs.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB, array
from sqlalchemy.types import String

from auditgraph.store.records import (
    DecisionRecord,
    EscalationRecord,
    FinalDecision,
    ReviewRecord,
    RunRecord,
    RunStatus,
    as_utc,
)
from auditgraph.store.tables import DecisionRow, EscalationRow, ReviewRow, RunRow

__all__ = [
    "ReviewState",
    "RunCursor",
    "RunFilter",
    "SlaBreach",
    "conditions",
    "json_has_any",
    "matches",
    "reason_kind",
    "search_runs",
]

ReviewState = Literal["yes", "no", "proposed", "agreed", "overridden"]
"""A run's review: "yes" it has one, "no" it has none; "proposed" it has one of an escalation
where the agent had proposed a decision, "agreed" and that decision was the reviewer's,
"overridden" and the reviewer decided otherwise."""
SlaBreach = Literal["open", "late"]
"""An escalation past its SLA: still "open" at `RunFilter.as_of`, or reviewed "late"."""

_RUNS = RunRow.__table__  # type: ignore[attr-defined]
_ESCALATIONS = EscalationRow.__table__  # type: ignore[attr-defined]
_DECISIONS = DecisionRow.__table__  # type: ignore[attr-defined]
_REVIEWS = ReviewRow.__table__  # type: ignore[attr-defined]
_CURSOR_VERSION = 1


def reason_kind(reason: str) -> str:
    """A reason's kind: what comes before its first ":" ("image_missing:a.png" -> "image_missing")."""
    return reason.split(":", 1)[0]


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} {value.isoformat()!r} has no time zone; give an aware time such as ...Z")
    # Stored times are UTC, and SQLite compares them as text without their offset.
    return value.astimezone(UTC)


@dataclass(frozen=True)
class RunFilter:
    """What runs to find; every field set narrows the search (None: any)."""

    status: RunStatus | None = None
    decision: FinalDecision | None = None
    """The run's final decision."""
    queue: str | None = None
    """The queue the run's escalation went to."""
    case_kind: str | None = None
    seller_id: str | None = None
    """The seller the run's case names (`listing.seller_id`)."""
    since: datetime | None = None
    """Runs started at or after this aware time."""
    until: datetime | None = None
    """Runs started before this aware time."""
    area: str | None = None
    """A policy area: its escalation names it, or a decision cites one of `area_clauses`."""
    area_clauses: tuple[str, ...] = ()
    """The clause ids of `area` in the policy pack (the caller reads the pack)."""
    escalated: bool | None = None
    """The run has an escalation (True) or none (False)."""
    decided: bool | None = None
    """The run has a final decision (True) or none yet (False)."""
    reason: str | None = None
    """A kind of reason its escalation gives (`reason_kind`), e.g. "unknown_seller"."""
    escalation_status: Literal["open", "resolved"] | None = None
    """Its escalation waits for a reviewer ("open") or was reviewed ("resolved")."""
    reviewed: ReviewState | None = None
    """Its review, if any (see `ReviewState`)."""
    sla_breach: SlaBreach | None = None
    """Its escalation waited its priority's SLA hours or longer: open at `as_of`, or until
    its review ("late")."""
    sla_hours: tuple[tuple[int, float], ...] = ()
    """(priority, hours) for priorities 1 to 4: how long an escalation may wait."""
    as_of: datetime | None = None
    """The moment an open escalation's wait is measured at (for `sla_breach="open"`)."""

    def __post_init__(self) -> None:
        """Check the times are aware and the clauses come with their area.

        Raises:
            ValueError: a naive time, `since` not before `until`, or clauses with no area.
        """
        if self.since is not None:
            _utc(self.since, "since")
        if self.until is not None:
            _utc(self.until, "until")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValueError(
                f"since {self.since.isoformat()!r} is not before until {self.until.isoformat()!r}; swap them"
            )
        if self.area_clauses and self.area is None:
            raise ValueError("area_clauses were given without their area; name the area too")
        if isinstance(self.area_clauses, str):
            raise ValueError(
                f"area_clauses must be a sequence of clause ids, not the string {self.area_clauses!r}"
            )
        if self.reason is not None and (not self.reason or ":" in self.reason):
            raise ValueError(f"reason {self.reason!r} is not a reason's kind; give the part before its ':'")
        if self.sla_breach is not None:
            if sorted(p for p, _ in self.sla_hours) != [1, 2, 3, 4]:
                raise ValueError(f"sla_hours {self.sla_hours!r} must give hours for each priority 1 to 4")
            if self.sla_breach == "open" and self.as_of is None:
                raise ValueError("an open SLA breach is measured at a moment; give as_of")
        if self.as_of is not None:
            _utc(self.as_of, "as_of")

    def allowed(self, priority: int) -> timedelta:
        """How long an escalation of `priority` may wait (`sla_hours`)."""
        return timedelta(hours=dict(self.sla_hours)[priority])


@dataclass(frozen=True)
class RunCursor:
    """Where a page ended: the last run shown, by (started, run_id)."""

    started: datetime
    run_id: str

    @classmethod
    def of(cls, run: RunRecord) -> RunCursor:
        """The cursor for the page after one ending with `run`."""
        return cls(run.started, run.run_id)

    def encode(self) -> str:
        """An opaque, URL-safe string that `decode` reads back."""
        body = {
            "v": _CURSOR_VERSION,
            "s": _utc(self.started, "a cursor's time").isoformat(),
            "r": self.run_id,
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> RunCursor:
        """The cursor `encode` made.

        Raises:
            ValueError: `text` is not a cursor `encode` made.
        """
        try:
            padded = text + "=" * (-len(text) % 4)
            body = json.loads(base64.b64decode(padded, altchars=b"-_", validate=True))
            if not isinstance(body, dict) or body.get("v") != _CURSOR_VERSION:
                raise ValueError("unknown shape")
            run_id, started = body["r"], datetime.fromisoformat(body["s"])
            if not isinstance(run_id, str) or not run_id:
                raise ValueError("no run id")
            return cls(_utc(started, "a cursor's time"), run_id)
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
            shown = text if len(text) <= 40 else text[:40] + "…"
            raise ValueError(
                f"cursor {shown!r} is not one this server gave out (or it was cut short); "
                "start again from the first page, without a cursor"
            ) from None


def matches(
    filters: RunFilter,
    run: RunRecord,
    *,
    case: dict[str, Any] | None,
    escalation: EscalationRecord | None,
    decisions: Sequence[DecisionRecord],
    reviews: Sequence[ReviewRecord] = (),
) -> bool:
    """Whether `run` (with its case, escalation, decision and review records) passes
    `filters`: the same test `search_runs` makes in SQL, for stores that keep records in memory."""
    listing = case.get("listing") if isinstance(case, dict) else None
    seller = listing.get("seller_id") if isinstance(listing, dict) else None
    checks = (
        filters.status is None or run.status == filters.status,
        filters.decision is None or run.decision == filters.decision,
        filters.case_kind is None or run.case_kind == filters.case_kind,
        filters.seller_id is None or seller == filters.seller_id,
        filters.since is None or run.started >= filters.since,
        filters.until is None or run.started < filters.until,
        filters.queue is None or (escalation is not None and escalation.queue == filters.queue),
        filters.area is None
        or (escalation is not None and filters.area in escalation.areas)
        or any(c in filters.area_clauses for d in decisions for c in d.clause_ids),
        filters.escalated is None or (escalation is not None) == filters.escalated,
        filters.decided is None or (run.decision is not None) == filters.decided,
        filters.reason is None
        or (escalation is not None and any(reason_kind(r) == filters.reason for r in escalation.reasons)),
        filters.escalation_status is None
        or (escalation is not None and escalation.status == filters.escalation_status),
        filters.reviewed is None or _review_matches(filters.reviewed, reviews),
        filters.sla_breach is None or _breached(filters, escalation, reviews),
    )
    return all(checks)


def _review_matches(state: ReviewState, reviews: Sequence[ReviewRecord]) -> bool:
    if state == "no":
        return not reviews
    if state == "yes":
        return bool(reviews)
    proposed = [r for r in reviews if r.agent_decision != "escalate"]
    if state == "proposed":
        return bool(proposed)
    agreed = state == "agreed"
    return any((r.decision == r.agent_decision) == agreed for r in proposed)


def _breached(
    filters: RunFilter, escalation: EscalationRecord | None, reviews: Sequence[ReviewRecord]
) -> bool:
    if escalation is None:
        return False
    allowed = filters.allowed(escalation.priority)
    if filters.sla_breach == "open":
        assert filters.as_of is not None
        return escalation.status == "open" and escalation.opened_at <= filters.as_of - allowed
    return any(r.created_at - escalation.opened_at >= allowed for r in reviews)


def json_has_any(conn: Connection, column: Any, values: Sequence[str], source: Any) -> ColumnElement[bool]:
    """Whether the JSON list in `column` (of table `source`) holds any of `values`."""
    if conn.dialect.name == "postgresql":
        # The column is JSONB (tables._Json); ?| asks for any of the strings as an element.
        return type_coerce(column, JSONB).has_any(array(list(values), type_=String))
    items = func.json_each(column).table_valued("value", joins_implicitly=True)
    return exists(select(1).select_from(items).where(items.c.value.in_(list(values)))).correlate(source)


def _has_reason(conn: Connection, kind: str) -> ColumnElement[bool]:
    """Whether the escalation row's reasons hold one of kind `kind` (it, or it and ":...")."""
    column = _ESCALATIONS.c.reasons
    if conn.dialect.name == "postgresql":
        items = func.jsonb_array_elements_text(type_coerce(column, JSONB)).table_valued(
            "value", joins_implicitly=True
        )
    else:
        items = func.json_each(column).table_valued("value", joins_implicitly=True)
    # substr, not LIKE: a kind's "_" would be a wildcard.
    prefix = func.substr(items.c.value, 1, len(kind) + 1)
    matched = or_(items.c.value == kind, prefix == literal(kind + ":"))
    return exists(select(1).select_from(items).where(matched)).correlate(_ESCALATIONS)


def _escalation(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    """The run has an escalation row such that `where`."""
    return exists(select(1).select_from(_ESCALATIONS).where(_ESCALATIONS.c.run_id == _RUNS.c.run_id, *where))


def _review(state: ReviewState) -> ColumnElement[bool]:
    proposed = _REVIEWS.c.agent_decision != "escalate"
    where = {
        "yes": [],
        "no": [],
        "proposed": [proposed],
        "agreed": [proposed, _REVIEWS.c.decision == _REVIEWS.c.agent_decision],
        "overridden": [proposed, _REVIEWS.c.decision != _REVIEWS.c.agent_decision],
    }[state]
    found = exists(select(1).select_from(_REVIEWS).where(_REVIEWS.c.run_id == _RUNS.c.run_id, *where))
    return not_(found) if state == "no" else found


def _waited(conn: Connection, end: Any, hours: float) -> ColumnElement[bool]:
    """Whether `end` is `hours` or more after the escalation row's `opened_at`."""
    opened = _ESCALATIONS.c.opened_at
    if conn.dialect.name == "postgresql":
        return end >= opened + timedelta(hours=hours)
    # SQLite keeps times as text; julianday reads them (to well under a millisecond).
    return (func.julianday(end) - func.julianday(opened)) * 86400.0 >= hours * 3600.0


def _sla(conn: Connection, filters: RunFilter) -> ColumnElement[bool]:
    """The run's escalation waited its priority's SLA: open at `as_of`, or until its review."""
    by_priority = []
    for priority, hours in sorted(filters.sla_hours):
        if filters.sla_breach == "open":
            assert filters.as_of is not None
            late = and_(
                _ESCALATIONS.c.status == "open",
                _ESCALATIONS.c.opened_at <= _utc(filters.as_of, "as_of") - timedelta(hours=hours),
            )
        else:
            late = exists(
                select(1)
                .select_from(_REVIEWS)
                .where(
                    _REVIEWS.c.escalation_id == _ESCALATIONS.c.escalation_id,
                    _waited(conn, _REVIEWS.c.created_at, hours),
                )
            )
        by_priority.append(and_(_ESCALATIONS.c.priority == priority, late))
    return _escalation(or_(false(), *by_priority))


def _in_area(conn: Connection, filters: RunFilter) -> ColumnElement[bool]:
    assert filters.area is not None
    escalated = exists(
        select(1)
        .select_from(_ESCALATIONS)
        .where(
            _ESCALATIONS.c.run_id == _RUNS.c.run_id,
            json_has_any(conn, _ESCALATIONS.c.areas, [filters.area], _ESCALATIONS),
        )
    )
    if not filters.area_clauses:
        return escalated
    cited = exists(
        select(1)
        .select_from(_DECISIONS)
        .where(
            _DECISIONS.c.run_id == _RUNS.c.run_id,
            json_has_any(conn, _DECISIONS.c.clause_ids, filters.area_clauses, _DECISIONS),
        )
    )
    return or_(escalated, cited)


def conditions(conn: Connection, filters: RunFilter) -> list[ColumnElement[bool]]:
    """The WHERE conditions on the run table that `filters` makes (all must hold): what
    `search_runs` pages through, and what `store.kpis` counts."""
    found: list[ColumnElement[bool]] = []
    for field in ("status", "decision", "case_kind"):
        value = getattr(filters, field)
        if value is not None:
            found.append(_RUNS.c[field] == value)
    if filters.seller_id is not None:
        found.append(_RUNS.c.case_json[("listing", "seller_id")].as_string() == filters.seller_id)
    if filters.since is not None:
        found.append(_RUNS.c.started >= _utc(filters.since, "since"))
    if filters.until is not None:
        found.append(_RUNS.c.started < _utc(filters.until, "until"))
    if filters.queue is not None:
        found.append(
            exists(
                select(1)
                .select_from(_ESCALATIONS)
                .where(_ESCALATIONS.c.run_id == _RUNS.c.run_id, _ESCALATIONS.c.queue == filters.queue)
            )
        )
    if filters.area is not None:
        found.append(_in_area(conn, filters))
    found.extend(_outcome(conn, filters))
    return found


def _outcome(conn: Connection, filters: RunFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.escalated is not None:
        found.append(_escalation() if filters.escalated else not_(_escalation()))
    if filters.decided is not None:
        decision = _RUNS.c.decision
        found.append(decision.is_not(None) if filters.decided else decision.is_(None))
    if filters.reason is not None:
        found.append(_escalation(_has_reason(conn, filters.reason)))
    if filters.escalation_status is not None:
        found.append(_escalation(_ESCALATIONS.c.status == filters.escalation_status))
    if filters.reviewed is not None:
        found.append(_review(filters.reviewed))
    if filters.sla_breach is not None:
        found.append(_sla(conn, filters))
    return found


def search_runs(
    conn: Connection, filters: RunFilter, *, limit: int, after: RunCursor | None = None
) -> list[RunRecord]:
    """Up to `limit` runs matching `filters`, newest first (started, then run id, both
    descending), strictly after `after` when given.

    Raises:
        ValueError: `limit` is below 1.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1 (got {limit!r})")
    query = select(*(_RUNS.c[name] for name in RunRecord.model_fields)).where(*conditions(conn, filters))
    if after is not None:
        started = _utc(after.started, "the cursor's time")
        query = query.where(tuple_(_RUNS.c.started, _RUNS.c.run_id) < tuple_(started, after.run_id))
    query = query.order_by(_RUNS.c.started.desc(), _RUNS.c.run_id.desc()).limit(limit)
    return [
        RunRecord.model_validate({k: as_utc(v) for k, v in row.items()})
        for row in conn.execute(query).mappings()
    ]
