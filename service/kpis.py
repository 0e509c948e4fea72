"""The KPIs as the doors read them (`GET /v1/kpis`, the console's dashboard): a window
checked once, the policy pack's clauses of each area, and the settings' SLA hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from auditgraph.store.kpis import Kpis, compute_kpis
from auditgraph.store.records import utcnow
from auditgraph.tools.case import POLICY_AREAS

__all__ = ["DEFAULT_DAYS", "Window", "area_clauses", "parse_moment", "read_kpis"]

DEFAULT_DAYS = 7
"""The window when none is given: the last 7 days."""


@dataclass(frozen=True)
class Window:
    """Runs started at or after `since` and before `until` (aware UTC)."""

    since: datetime
    until: datetime

    @classmethod
    def of(cls, since: datetime | None, until: datetime | None, *, now: datetime | None = None) -> Window:
        """The window `since`..`until`; an end left out is now, a start left out 7 days
        before the end. Naive times are UTC.

        Raises:
            ValueError: `since` is not before `until`, or a time out of range.
        """
        try:
            end = _utc(until) if until is not None else now or utcnow()
            start = _utc(since) if since is not None else end - timedelta(days=DEFAULT_DAYS)
        except OverflowError:
            raise ValueError("a time is out of range; give times between years 1 and 9999 in UTC") from None
        if start >= end:
            raise ValueError(
                f"since {start.isoformat()!r} is not before until {end.isoformat()!r}; swap them or widen the window"
            )
        return cls(start, end)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_moment(text: str, *, end: bool = False) -> datetime:
    """An ISO 8601 time (UTC if it has no offset), or a day: its first moment, or with
    `end` the first moment of the next day (so a window "until 2026-12-01" includes that day).

    Raises:
        ValueError: `text` is neither.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1 if end else 0), time(), tzinfo=UTC)
        return _utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValueError(
            f"{shown!r} is not a date (2026-12-01) or an ISO 8601 time (2026-12-01T08:00:00Z)"
        ) from None


def area_clauses(state: Any) -> dict[str, tuple[str, ...]]:
    """Each policy area's clause ids in the pack in force (what puts a run in an area)."""
    clauses = state.auditor.toolset.packs.current.clauses
    return {area: tuple(c.id for c in clauses if c.covers(area)) for area in POLICY_AREAS}


def read_kpis(state: Any, window: Window, area: str | None) -> Kpis:
    """The KPIs of `window` (and `area`) now, for a server's state (its store, pack and
    settings): a blocking read, for the read pool."""
    return compute_kpis(
        state.store.engine,
        since=window.since,
        until=window.until,
        as_of=utcnow(),
        area=area,
        area_clauses=area_clauses(state),
        sla_hours=state.settings.console_sla_hours,
    )
