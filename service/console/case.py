"""The case page: everything a reviewer needs to answer "why did the agent decide this,
and is it right?" on one page."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, Response

from auditgraph.service.console.leases import lease_panel
from auditgraph.service.console.session import Session
from auditgraph.service.console.web import RUN_ID, ConsoleState, render, shared, signed_in
from auditgraph.store.base import RunNotFound
from auditgraph.store.leases import LeaseStore
from auditgraph.workflows.trace_contract import recorded_guard, recorded_verdict

__all__ = ["case_view", "router"]

router = APIRouter(include_in_schema=False)


@router.get("/cases/{run_id}", response_class=HTMLResponse)
async def case_page(
    request: Request,
    run_id: Annotated[str, Path(pattern=RUN_ID)],
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
) -> Response:
    """One run's case page."""
    page = await anyio.to_thread.run_sync(case_view, state, run_id)
    if page is None:
        raise HTTPException(404, f"no run {run_id!r}")
    panel = await anyio.to_thread.run_sync(lease_panel, state, session, page["escalation"], page["lease"])
    return render(request, "case.html", {"session": session, "lease_panel": panel, **page})


def case_view(state: ConsoleState, run_id: str) -> dict[str, Any] | None:
    """What the case page shows of a run: the case as submitted, the agent's verdict, the
    guard's reasons, the escalation and its lease, and every step; None if there is no run."""
    store = state.store
    try:
        run, escalation, reviews, decisions = store.run_records(run_id)
    except RunNotFound:
        return None
    steps = store.steps(run_id)
    lease = LeaseStore(store.engine).lease_of(escalation.escalation_id) if escalation is not None else None
    case = store.get_case(run_id) or {}
    return {
        "run": run,
        "case": case,
        "listing": case.get("listing") or {},
        "verdict": recorded_verdict(steps),
        "guard": recorded_guard(steps),
        "escalation": escalation,
        "lease": lease,
        "reviews": reviews,
        "decision": decisions[-1] if decisions else None,
        "steps": steps,
    }
