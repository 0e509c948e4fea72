"""The runs list: runs matching filters (the dashboard's drill-downs, or the form on the
page), newest first, a page at a time on `store.search`'s cursor; each row opens its case."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

from collections.abc import Sequence
from typing import Annotated, Any, get_args
from urllib.parse import urlencode

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine, select
from sqlmodel import col

from auditgraph.service.console.session import Session
from auditgraph.service.console.web import ConsoleState, render, shared, signed_in
from auditgraph.service.kpis import area_clauses, parse_moment
from auditgraph.store.records import FinalDecision, RunRecord, RunStatus, utcnow
from auditgraph.store.search import ReviewState, RunCursor, RunFilter, SlaBreach
from auditgraph.store.tables import EscalationRow, RunRow
from auditgraph.tools.case import POLICY_AREAS

__all__ = ["FILTERS", "router"]

router = APIRouter(include_in_schema=False)

FILTERS = (
    "status",
    "decision",
    "queue",
    "area",
    "reason",
    "escalated",
    "decided",
    "escalation",
    "reviewed",
    "sla",
    "as_of",
    "since",
    "until",
)
"""The query parameters that narrow the list (all optional; blank means any)."""
_CHOICES: dict[str, Sequence[str]] = {
    "status": get_args(RunStatus),
    "decision": get_args(FinalDecision),
    "area": POLICY_AREAS,
    "escalated": ("true", "false"),
    "decided": ("true", "false"),
    "escalation": ("open", "resolved"),
    "reviewed": get_args(ReviewState),
    "sla": get_args(SlaBreach),
}


@router.get("/runs", response_class=HTMLResponse)
async def runs_page(
    request: Request,
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The runs matching the query's filters (`FILTERS`), newest first."""
    given = {name: request.query_params.get(name, "").strip() for name in FILTERS}
    given = {name: value for name, value in given.items() if value}
    context: dict[str, Any] = {"session": session, "given": given, "choices": _CHOICES, "rows": []}
    try:
        filters = _filters(state, given)
        after = RunCursor.decode(cursor) if cursor else None
    except ValueError as exc:
        return render(request, "runs.html", {**context, "problem": str(exc)}, status_code=422)
    size = state.settings.api_page_size  # as many as a page of GET /v1/runs
    found = await anyio.to_thread.run_sync(
        lambda: state.store.search_runs(filters, limit=size + 1, after=after)
    )
    page = found[:size]
    more = len(found) > size
    titles = await anyio.to_thread.run_sync(_titles, state.store.engine, [r.run_id for r in page])
    context.update(
        rows=[_row(run, titles.get(run.run_id)) for run in page],
        next_href="/runs?" + urlencode({**given, "cursor": RunCursor.of(page[-1]).encode()})
        if more
        else None,
        first_href="/runs?" + urlencode(given) if cursor else None,
    )
    return render(request, "runs.html", context)


def _filters(state: ConsoleState, given: dict[str, str]) -> RunFilter:
    """The search the query asks for.

    Raises:
        ValueError: a value that is not one of its choices, a time that is not one, or
            filters that do not go together (e.g. since not before until).
    """
    for name, allowed in _CHOICES.items():
        if name in given and given[name] not in allowed:
            raise ValueError(f"{name} {given[name]!r} is not one of: {', '.join(allowed)}")
    for name in ("queue", "reason"):
        value = given.get(name, "")
        if len(value) > 80 or ":" in value:
            raise ValueError(f"{name} {value[:80]!r} is not a {name} name")
    area = given.get("area")
    sla = given.get("sla")
    as_of = parse_moment(given["as_of"]) if "as_of" in given else utcnow()
    return RunFilter(
        status=given.get("status"),  # type: ignore[arg-type]
        decision=given.get("decision"),  # type: ignore[arg-type]
        queue=given.get("queue"),
        area=area,
        area_clauses=area_clauses(state)[area] if area else (),
        reason=given.get("reason"),
        escalated=_flag(given.get("escalated")),
        decided=_flag(given.get("decided")),
        escalation_status=given.get("escalation"),  # type: ignore[arg-type]
        reviewed=given.get("reviewed"),  # type: ignore[arg-type]
        sla_breach=sla,  # type: ignore[arg-type]
        sla_hours=tuple(sorted(state.settings.console_sla_hours.items())) if sla else (),
        as_of=as_of if sla == "open" else None,
        since=parse_moment(given["since"]) if "since" in given else None,
        until=parse_moment(given["until"], end=True) if "until" in given else None,
    )


def _flag(value: str | None) -> bool | None:
    return None if value is None else value == "true"


def _titles(engine: Engine, run_ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """Each run's case title (the listing's, or the case id) and escalation queue, in one query."""
    if not run_ids:
        return {}
    query = (
        select(RunRow.run_id, RunRow.case_json, EscalationRow.queue)
        .outerjoin(EscalationRow, col(EscalationRow.run_id) == RunRow.run_id)
        .where(col(RunRow.run_id).in_(run_ids))
    )
    found = {}
    with engine.connect() as conn:
        for run_id, case, queue in conn.execute(query):
            listing = (case or {}).get("listing") or {}
            found[run_id] = (
                str(listing.get("title") or (case or {}).get("case_id") or "(case erased)"),
                queue,
            )
    return found


def _row(run: RunRecord, titled: tuple[str, str | None] | None) -> dict[str, Any]:
    title, queue = titled or ("(case erased)", None)
    return {
        "run_id": run.run_id,
        "title": title,
        "kind": run.case_kind,
        "status": run.status,
        "decision": run.decision or "",
        "queue": queue or "",
        "started": run.started.strftime("%Y-%m-%d %H:%M UTC"),
    }
