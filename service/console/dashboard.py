"""The KPI dashboard for moderation leads: headline figures and bar charts of a window
(the last 7 or 30 days, or dates given) and optionally one policy area; every figure
links to the runs behind it (`/runs`, `service.console.runs`)."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from auditgraph.service.console.charts import BarChart, bar_chart, duration, money, percent, runs_link
from auditgraph.service.console.session import Session
from auditgraph.service.console.web import ConsoleState, render, shared, signed_in
from auditgraph.service.kpis import Window, parse_moment, read_kpis
from auditgraph.store.kpis import Kpis
from auditgraph.store.records import utcnow
from auditgraph.tools.case import POLICY_AREAS

__all__ = ["Tile", "router", "tiles"]

router = APIRouter(include_in_schema=False)

WINDOWS = {"7d": 7, "30d": 30}
"""The windows offered as one click, by their name in the query."""


@dataclass(frozen=True)
class Tile:
    """A headline figure, the runs behind it, and the lines that explain it."""

    title: str
    value: str
    href: str | None
    """The runs behind the value, when one filter finds them all."""
    lines: list[tuple[str, str | None]] = field(default_factory=list)
    """(text, link to its runs or None)."""


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(
    request: Request,
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    window: Annotated[str | None, Query(max_length=10)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    area: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The KPIs of the window asked for (default: the last 7 days)."""
    context: dict[str, Any] = {
        "session": session,
        "areas": POLICY_AREAS,
        "form": {"window": window or "", "since": since or "", "until": until or "", "area": area or ""},
    }
    try:
        chosen = _window(window or "", since or "", until or "")
        if area and area not in POLICY_AREAS:
            raise ValueError(f"{area!r} is not a policy area; pick one from the list")
    except ValueError as exc:
        return render(request, "dashboard.html", {**context, "problem": str(exc)}, status_code=422)
    kpis = await anyio.to_thread.run_sync(read_kpis, state, chosen, area or None)
    context.update(
        kpis=kpis,
        tiles=tiles(kpis),
        charts=charts(kpis),
        agreement=_agreement_rows(kpis),
        since_day=chosen.since.date().isoformat(),
        until_day=(chosen.until - timedelta(microseconds=1)).date().isoformat(),
    )
    return render(request, "dashboard.html", context)


def _window(name: str, since: str, until: str) -> Window:
    """The window a request names: dates or times given, else 7d or 30d back from now.

    Raises:
        ValueError: an unknown window name, a time that is not one, or since not before until.
    """
    if since or until:
        return Window.of(
            parse_moment(since) if since else None, parse_moment(until, end=True) if until else None
        )
    if name in ("", "custom"):
        name = "7d"
    if name not in WINDOWS:
        raise ValueError(f"window {name!r} is not one of {', '.join(WINDOWS)}; or give since and until")
    now = utcnow()
    return Window.of(now - timedelta(days=WINDOWS[name]), now)


def tiles(kpis: Kpis) -> list[Tile]:
    """The headline figures, each linked to its runs."""

    def link(backlog: bool = False, **filters: object) -> str:
        return runs_link(None if backlog else kpis.since, kpis.until, kpis.area, **filters)

    reached = kpis.automated + kpis.escalated
    spread, ages = kpis.time_to_decision, kpis.open_escalations
    return [
        Tile("Cases audited", str(kpis.cases), link()),
        Tile(
            "Automation rate",
            percent(kpis.automation_rate),
            link(decided=True, escalated=False),
            [
                (f"{kpis.automated} decided without a person", link(decided=True, escalated=False)),
                (f"{kpis.escalated} escalated, of {reached} reaching an outcome", link(escalated=True)),
            ],
        ),
        Tile(
            "Escalation rate",
            percent(kpis.escalation_rate),
            link(escalated=True),
            [(f"{kpis.escalated} of {reached}", link(escalated=True))],
        ),
        Tile(
            "Human override rate",
            percent(kpis.override_rate),
            link(reviewed="overridden"),
            [
                (f"{kpis.overrides} overrode the agent", link(reviewed="overridden")),
                (f"of {kpis.proposed} reviews of a proposal", link(reviewed="proposed")),
                (f"{kpis.reviews} reviews in all", link(reviewed="yes")),
            ],
        ),
        Tile(
            "Time to decision",
            duration(spread.median_s),
            link(decided=True),
            [
                (f"median; p95 {duration(spread.p95_s)}", None),
                (f"{spread.count} decided runs", link(decided=True)),
            ],
        ),
        Tile(
            "Open escalations",
            str(ages.count),
            link(backlog=True, escalation="open"),
            [(f"age median {duration(ages.median_s)}, p95 {duration(ages.p95_s)}", None)],
        ),
        Tile(
            "SLA breaches",
            str(kpis.sla_open + kpis.sla_late),
            None,
            [
                (
                    f"{kpis.sla_open} open past their SLA",
                    link(backlog=True, sla="open", as_of=kpis.as_of.isoformat()),
                ),
                (f"{kpis.sla_late} reviewed after their SLA", link(sla="late")),
            ],
        ),
        Tile(
            "Model cost per case",
            money(kpis.model.cost_per_case_usd),
            link(),
            [
                (f"{kpis.model.calls} calls, {kpis.model.tokens_in + kpis.model.tokens_out} tokens", None),
                (f"{money(kpis.model.cost_usd)} in all", None),
            ],
        ),
    ]


def charts(kpis: Kpis) -> list[BarChart]:
    """Escalations by queue and by reason, and reviewer agreement per area."""

    def link(**filters: object) -> str:
        return runs_link(kpis.since, kpis.until, kpis.area, **filters)

    return [
        bar_chart(
            "Escalations by queue",
            [(c.name, c.count, f"{c.count} · {percent(c.rate)}", link(queue=c.name)) for c in kpis.by_queue],
        ),
        bar_chart(
            "Escalations by reason",
            [
                (c.name, c.count, f"{c.count} · {percent(c.rate)}", link(reason=c.name))
                for c in kpis.by_reason
            ],
        ),
        bar_chart(
            "Reviewers agreeing with the agent, by area",
            [
                (
                    a.area,
                    a.rate or 0.0,
                    f"{percent(a.rate)} · {a.agreed} of {a.proposed}",
                    runs_link(kpis.since, kpis.until, a.area, reviewed="agreed"),
                )
                for a in kpis.agreement_by_area
            ],
            scale=1.0,
        ),
    ]


def _agreement_rows(kpis: Kpis) -> list[dict[str, Any]]:
    return [
        {
            "area": a.area,
            "rate": percent(a.rate),
            "agreed": a.agreed,
            "proposed": a.proposed,
            "agreed_href": runs_link(kpis.since, kpis.until, a.area, reviewed="agreed"),
            "proposed_href": runs_link(kpis.since, kpis.until, a.area, reviewed="proposed"),
        }
        for a in kpis.agreement_by_area
    ]
