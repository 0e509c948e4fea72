"""The review queue: open escalations, filtered and sorted, and "Start reviewing", which
leases the most urgent free case to the reviewer in one statement."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

from datetime import datetime, timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine, select
from sqlmodel import col

from auditgraph.service.console.session import Session
from auditgraph.service.console.web import ConsoleState, check_form, render, shared, signed_in
from auditgraph.store.leases import Lease, LeaseStore
from auditgraph.store.records import EscalationRecord, utcnow
from auditgraph.store.tables import RunRow

__all__ = ["queue_rows", "router"]

router = APIRouter(include_in_schema=False)


@router.get("/queue", response_class=HTMLResponse)
async def queue_page(
    request: Request,
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    empty: Annotated[bool, Query()] = False,
    queue: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]*$")] = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    area: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]*$")] = None,
    kind: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]*$")] = None,
) -> Response:
    """The open escalations, most urgent first."""
    rows = await anyio.to_thread.run_sync(
        queue_rows, state, queue or None, priority, area or None, kind or None
    )
    return render(
        request,
        "queue.html",
        {
            "session": session,
            "empty": empty,
            "rows": rows,
            "filters": {
                "queue": queue or "",
                "priority": priority,
                "area": area or "",
                "kind": kind or "",
            },
            "queues": sorted({r["queue"] for r in rows}),
        },
    )


@router.post("/queue/claim")
async def claim(
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Lease the reviewer the most urgent case no one holds and open it."""
    check_form(session, csrf, review=True)
    leases = LeaseStore(state.store.engine)
    ttl = timedelta(minutes=state.settings.console_lease_minutes)
    lease = await anyio.to_thread.run_sync(
        lambda: leases.claim_next(session.identity.name, session.identity.token_id, ttl=ttl)
    )
    if lease is None:
        return RedirectResponse("/queue?empty=1", status_code=303)
    return RedirectResponse(f"/cases/{lease.run_id}", status_code=303)


def queue_rows(
    state: ConsoleState, queue: str | None, priority: int | None, area: str | None, kind: str | None
) -> list[dict[str, Any]]:
    """The open escalations as the queue shows them: priority then age, with the case's
    title and kind, the agent's proposal, the reasons, the age, the SLA state and who has it
    (free, leased or held: a held case is never free)."""
    now = utcnow()
    found = [
        e
        for e in state.store.open_escalations(queue=queue)
        if (priority is None or e.priority == priority) and (area is None or area in e.areas)
    ]
    cases = _cases(state.store.engine, [e.run_id for e in found])
    leases = {lease.escalation_id: lease for lease in LeaseStore(state.store.engine).active_leases()}
    rows = []
    for escalation in sorted(found, key=lambda e: (e.priority, e.opened_at)):
        title, case_kind = cases.get(escalation.run_id, ("(case erased)", ""))
        if kind is not None and case_kind != kind:
            continue
        row = _row(escalation, title, case_kind, now, state.settings.console_sla_hours)
        rows.append({**row, "lease": _held_by(leases.get(escalation.escalation_id))})
    return rows


def _row(
    escalation: EscalationRecord, title: str, kind: str, now: datetime, sla: dict[int, float]
) -> dict[str, Any]:
    waited = now - escalation.opened_at
    allowed = timedelta(hours=sla[escalation.priority])
    state = "breached" if waited >= allowed else "due soon" if waited >= allowed * 0.75 else "ok"
    return {
        "run_id": escalation.run_id,
        "title": title,
        "kind": kind,
        "queue": escalation.queue,
        "priority": escalation.priority,
        "proposal": escalation.agent_decision,
        "reasons": escalation.reasons,
        "areas": escalation.areas,
        "age": _age(waited),
        "sla": state,
    }


def _held_by(lease: Lease | None) -> dict[str, str]:
    """Who has the case, as the queue says it: free, leased (to whom, until when) or held."""
    if lease is None:
        return {"state": "free", "text": "free"}
    if lease.state == "held":
        return {"state": "held", "text": f"held by {lease.holder}"}
    return {"state": "leased", "text": f"{lease.holder} until {lease.leased_until:%H:%M} UTC"}


def _cases(engine: Engine, run_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Each run's case title (the listing's, or the case's own) and kind, in one query."""
    if not run_ids:
        return {}
    query = select(RunRow.run_id, RunRow.case_kind, RunRow.case_json).where(col(RunRow.run_id).in_(run_ids))
    found = {}
    with engine.connect() as conn:
        for run_id, kind, case in conn.execute(query):
            listing = (case or {}).get("listing") or {}
            found[run_id] = (
                str(listing.get("title") or (case or {}).get("case_id") or "(case erased)"),
                kind,
            )
    return found


def _age(waited: timedelta) -> str:
    minutes = int(waited.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes // (24 * 60)} d"
