"""The moderation leads' KPIs for a window of runs: how much was audited, how much the
agent decided alone, where and why cases went to people, how often people disagreed with
the agent, how long decisions took, what waits past its SLA, and what the models cost.

Every count is the number of runs a `RunFilter` finds (`store.search.conditions`, summed
in one SQL aggregate), so the runs page lists exactly the runs behind a figure. Reasons
and areas are JSON lists and percentiles need the values, so those are read as narrow
columns and finished in Python, as `store.stats` does. Works on SQLite and PostgreSQL.

The window selects runs by their start (`since` <= started < `until`), and an area the
runs in it (`store.search`). The backlog (open escalations, their age, open SLA breaches)
is every escalation open at `as_of` of a run started before `until`, whatever `since`: a
case left waiting does not drop out of the dashboard as its run leaves the window.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, case, func, select

from auditgraph.store.records import as_utc
from auditgraph.store.search import RunFilter, conditions, reason_kind
from auditgraph.store.tables import DecisionRow, EscalationRow, ReviewRow, RunRow, StepRow

__all__ = ["AreaAgreement", "Count", "Kpis", "ModelCost", "Spread", "compute_kpis", "percentile"]

_RUNS = RunRow.__table__  # type: ignore[attr-defined]
_ESCALATIONS = EscalationRow.__table__  # type: ignore[attr-defined]
_REVIEWS = ReviewRow.__table__  # type: ignore[attr-defined]
_DECISIONS = DecisionRow.__table__  # type: ignore[attr-defined]
_STEPS = StepRow.__table__  # type: ignore[attr-defined]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q` quantile (0..1) of `values`, interpolated between the two nearest ranks (as
    PostgreSQL's `percentile_cont` and numpy's default); None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _rate(count: float, of: int) -> float | None:
    return count / of if of else None


@dataclass(frozen=True)
class Count:
    """A count of runs and what share of a whole it is."""

    name: str
    count: int
    rate: float | None
    """`count` over the whole it is a share of; None when that whole is 0."""


@dataclass(frozen=True)
class AreaAgreement:
    """How often reviewers decided as the agent proposed, for one policy area."""

    area: str
    proposed: int
    """Reviews of the area's escalations where the agent had proposed a decision."""
    agreed: int
    rate: float | None


@dataclass(frozen=True)
class Spread:
    """How a duration is spread over runs, in seconds."""

    count: int
    median_s: float | None
    p95_s: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Spread:
        """The median and 95th percentile of `seconds`."""
        return cls(len(seconds), percentile(seconds, 0.5), percentile(seconds, 0.95))


@dataclass(frozen=True)
class ModelCost:
    """Decider model calls (`kind="model"` steps that count tokens), in total and per case."""

    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    calls_per_case: float | None
    tokens_per_case: float | None
    cost_per_case_usd: float | None


@dataclass(frozen=True)
class Kpis:
    """The dashboard's figures for one window (see the module's docstring for each)."""

    since: datetime
    until: datetime
    as_of: datetime
    area: str | None
    cases: int
    """Runs started in the window."""
    automated: int
    """Runs with a final decision and no escalation: decided without a person."""
    escalated: int
    """Runs that opened an escalation."""
    automation_rate: float | None
    """automated / (automated + escalated): of runs that reached a decision or a person."""
    escalation_rate: float | None
    """escalated / (automated + escalated)."""
    by_queue: list[Count]
    """Escalated runs per queue, each over automated + escalated."""
    by_reason: list[Count]
    """Escalated runs per kind of reason (a run may give several), each over automated + escalated."""
    reviews: int
    """Runs reviewed by a person."""
    proposed: int
    """Reviewed runs whose agent had proposed a decision (not "escalate")."""
    overrides: int
    """Of `proposed`: the reviewer decided otherwise."""
    override_rate: float | None
    """overrides / proposed."""
    agreement_by_area: list[AreaAgreement]
    time_to_decision: Spread
    """Run start to its final decision (the run's end), people's time included."""
    open_escalations: Spread
    """Age at `as_of` of each open escalation (the backlog)."""
    sla_open: int
    """Open escalations (the backlog) that have waited their priority's SLA hours or more."""
    sla_late: int
    """Reviewed runs of the window whose review came their SLA hours or more after the escalation."""
    model: ModelCost
    sla_hours: dict[int, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON-ready data (times as ISO 8601 UTC)."""
        reached = self.automated + self.escalated
        return {
            "window": {
                "since": self.since.isoformat(),
                "until": self.until.isoformat(),
                "as_of": self.as_of.isoformat(),
                "area": self.area,
            },
            "cases": self.cases,
            "automation": {
                "automated": self.automated,
                "escalated": self.escalated,
                "reached": reached,
                "rate": self.automation_rate,
            },
            "escalations": {
                "count": self.escalated,
                "rate": self.escalation_rate,
                "by_queue": [asdict(c) for c in self.by_queue],
                "by_reason": [asdict(c) for c in self.by_reason],
            },
            "reviews": {
                "count": self.reviews,
                "proposed": self.proposed,
                "overrides": self.overrides,
                "override_rate": self.override_rate,
                "agreement_by_area": [asdict(a) for a in self.agreement_by_area],
            },
            "time_to_decision": asdict(self.time_to_decision),
            "open_escalations": asdict(self.open_escalations),
            "sla": {
                "hours": {str(p): h for p, h in sorted(self.sla_hours.items())},
                "open_breaches": self.sla_open,
                "late_reviews": self.sla_late,
                "breaches": self.sla_open + self.sla_late,
            },
            "model": asdict(self.model),
        }


def _when(conn: Connection, **fields: Any) -> ColumnElement[bool]:
    """The conditions of a filter of `fields` alone, as one boolean (for a CASE)."""
    return and_(*conditions(conn, RunFilter(**fields)))


def _counted(conn: Connection, where: list[ColumnElement[bool]], **figures: dict[str, Any]) -> dict[str, int]:
    """Runs matching `where`, and of them the runs matching each figure's filter, in one query."""
    columns = [func.count().label("all")]
    columns += [func.sum(case((_when(conn, **f), 1), else_=0)).label(n) for n, f in figures.items()]
    row = conn.execute(select(*columns).select_from(_RUNS).where(*where)).mappings().one()
    return {name: int(value or 0) for name, value in row.items()}


def compute_kpis(
    engine: Engine,
    *,
    since: datetime,
    until: datetime,
    sla_hours: Mapping[int, float],
    as_of: datetime,
    area: str | None = None,
    area_clauses: Mapping[str, Sequence[str]] | None = None,
) -> Kpis:
    """The KPIs of runs started in [`since`, `until`), in `area` when given.

    `area_clauses` maps each policy area to its clause ids in the pack (the store does not
    read the pack): a run is in an area its escalation names or whose clauses a decision
    cites. `sla_hours` gives each priority 1-4 its SLA; open escalations age until `as_of`.

    Raises:
        ValueError: naive times, `since` not before `until`, or SLA hours missing a priority.
    """
    clauses = {a: tuple(c) for a, c in (area_clauses or {}).items()}
    hours = tuple(sorted(sla_hours.items()))
    window = RunFilter(
        since=since, until=until, area=area, area_clauses=clauses.get(area, ()) if area else ()
    )
    backlog = replace(window, since=None)
    with engine.connect() as conn:
        where = conditions(conn, window)
        counts = _counted(
            conn,
            where,
            automated={"decided": True, "escalated": False},
            escalated={"escalated": True},
            reviews={"reviewed": "yes"},
            proposed={"reviewed": "proposed"},
            overrides={"reviewed": "overridden"},
            late={"sla_breach": "late", "sla_hours": hours},
        )
        opened = _counted(
            conn,
            [*conditions(conn, backlog), *conditions(conn, RunFilter(escalation_status="open"))],
            breached={"sla_breach": "open", "sla_hours": hours, "as_of": as_of},
        )
        queues = _queues(conn, where)
        reasons = _reasons(conn, where)
        agreement = _agreement(conn, where, clauses, only=area)
        decided = _durations(conn, where)
        ages = _ages(conn, backlog, as_of)
        model = _model(conn, where)
    reached = counts["automated"] + counts["escalated"]
    cases = counts["all"]
    return Kpis(
        since=since.astimezone(UTC),
        until=until.astimezone(UTC),
        as_of=as_of.astimezone(UTC),
        area=area,
        cases=cases,
        automated=counts["automated"],
        escalated=counts["escalated"],
        automation_rate=_rate(counts["automated"], reached),
        escalation_rate=_rate(counts["escalated"], reached),
        by_queue=[Count(q, n, _rate(n, reached)) for q, n in _ranked(queues)],
        by_reason=[Count(r, n, _rate(n, reached)) for r, n in _ranked(reasons)],
        reviews=counts["reviews"],
        proposed=counts["proposed"],
        overrides=counts["overrides"],
        override_rate=_rate(counts["overrides"], counts["proposed"]),
        agreement_by_area=agreement,
        time_to_decision=Spread.of(decided),
        open_escalations=Spread.of(ages),
        sla_open=opened["breached"],
        sla_late=counts["late"],
        model=ModelCost(
            calls=model[0],
            tokens_in=model[1],
            tokens_out=model[2],
            cost_usd=model[3],
            calls_per_case=_rate(model[0], cases),
            tokens_per_case=_rate(model[1] + model[2], cases),
            cost_per_case_usd=_rate(model[3], cases),
        ),
        sla_hours=dict(sla_hours),
    )


def _ranked(counted: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))


def _queues(conn: Connection, where: list[ColumnElement[bool]]) -> dict[str, int]:
    # The conditions' EXISTS subqueries name the escalation table too: an alias keeps the
    # outer join from being correlated into them.
    escalation = _ESCALATIONS.alias("counted")
    query = (
        select(escalation.c.queue, func.count())
        .select_from(_RUNS.join(escalation, escalation.c.run_id == _RUNS.c.run_id))
        .where(*where)
        .group_by(escalation.c.queue)
    )
    return {queue: int(n) for queue, n in conn.execute(query)}


def _reasons(conn: Connection, where: list[ColumnElement[bool]]) -> Counter[str]:
    escalation = _ESCALATIONS.alias("counted")
    query = (
        select(escalation.c.reasons)
        .select_from(_RUNS.join(escalation, escalation.c.run_id == _RUNS.c.run_id))
        .where(*where)
    )
    found: Counter[str] = Counter()
    for (listed,) in conn.execute(query):
        found.update({reason_kind(str(r)) for r in listed or []})
    return found


def _agreement(
    conn: Connection,
    where: list[ColumnElement[bool]],
    clauses: Mapping[str, tuple[str, ...]],
    *,
    only: str | None,
) -> list[AreaAgreement]:
    """Per area, reviews where the agent proposed a decision and how many the reviewer kept;
    with `only` (the window's area, which every run of `where` is in), that area alone.

    A run's areas are those its escalation names and those whose clauses its decisions
    cite: the same test as `RunFilter.area`."""
    escalation, review = _ESCALATIONS.alias("counted"), _REVIEWS.alias("counted_review")
    reviewed = conn.execute(
        select(_RUNS.c.run_id, escalation.c.areas, review.c.decision, review.c.agent_decision)
        .select_from(
            _RUNS.join(escalation, escalation.c.run_id == _RUNS.c.run_id).join(
                review, review.c.escalation_id == escalation.c.escalation_id
            )
        )
        .where(*where, review.c.agent_decision != "escalate")
    ).all()
    if only is not None:
        agreed_here = sum(decided == agent_decision for _, _, decided, agent_decision in reviewed)
        return [AreaAgreement(only, len(reviewed), agreed_here, _rate(agreed_here, len(reviewed)))]
    if not reviewed:
        return []
    decision = _DECISIONS.alias("counted_decision")
    cited: dict[str, set[str]] = {}
    query = (
        select(decision.c.run_id, decision.c.clause_ids)
        .select_from(_RUNS.join(decision, decision.c.run_id == _RUNS.c.run_id))
        .where(*where, *conditions(conn, RunFilter(reviewed="proposed")))
    )
    for run_id, clause_ids in conn.execute(query):
        cited.setdefault(run_id, set()).update(clause_ids or [])
    proposed: Counter[str] = Counter()
    agreed: Counter[str] = Counter()
    for run_id, areas, decided, agent_decision in reviewed:
        named = set(areas or [])
        named |= {a for a, ids in clauses.items() if cited.get(run_id, set()) & set(ids)}
        for a in named:
            proposed[a] += 1
            agreed[a] += decided == agent_decision
    return [AreaAgreement(a, n, agreed[a], _rate(agreed[a], n)) for a, n in sorted(proposed.items())]


def _durations(conn: Connection, where: list[ColumnElement[bool]]) -> list[float]:
    decided = conditions(conn, RunFilter(decided=True))
    query = select(_RUNS.c.started, _RUNS.c.ended).where(*where, *decided, _RUNS.c.ended.is_not(None))
    return [(as_utc(ended) - as_utc(started)).total_seconds() for started, ended in conn.execute(query)]


def _ages(conn: Connection, backlog: RunFilter, as_of: datetime) -> list[float]:
    escalation = _ESCALATIONS.alias("counted")
    query = (
        select(escalation.c.opened_at)
        .select_from(_RUNS.join(escalation, escalation.c.run_id == _RUNS.c.run_id))
        .where(*conditions(conn, backlog), escalation.c.status == "open")
    )
    return [(as_of - as_utc(opened)).total_seconds() for (opened,) in conn.execute(query)]


def _model(conn: Connection, where: list[ColumnElement[bool]]) -> tuple[int, int, int, float]:
    """Calls, tokens in, tokens out and cost of the runs' decider calls (as `stats.model_usage`)."""
    step = _STEPS.alias("counted_step")
    query = (
        select(
            func.count(), func.sum(step.c.tokens_in), func.sum(step.c.tokens_out), func.sum(step.c.cost_usd)
        )
        .select_from(_RUNS.join(step, step.c.run_id == _RUNS.c.run_id))
        .where(*where, step.c.kind == "model", step.c.tokens_in.is_not(None))
    )
    calls, tokens_in, tokens_out, cost = conn.execute(query).one()
    return int(calls or 0), int(tokens_in or 0), int(tokens_out or 0), float(cost or 0.0)
