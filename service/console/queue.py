"""The review queue: open escalations, filtered, sorted and paged by the store
(`store.queue`), with who holds each one, and "Start reviewing", which leases the most
urgent free case to the reviewer in one statement."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

from datetime import datetime, timedelta
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlencode

import anyio
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auditgraph.service.console.session import Session
from auditgraph.service.console.web import (
    RUN_ID,
    ConsoleState,
    check_form,
    render,
    run_or_none,
    shared,
    signed_in,
)
from auditgraph.store import queue as store_queue
from auditgraph.store.leases import LeaseStore
from auditgraph.store.queue import QueueFilter, QueueLease, QueuePage, QueueRow
from auditgraph.store.records import utcnow

__all__ = ["PAGE_SIZE", "QueueView", "queue_rows", "router"]

PAGE_SIZE = 50
"""Escalations on one page of the queue."""
MAX_WAIT_HOURS = 24 * 365
"""The largest wait the age filter takes, in hours."""

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
    waited: Annotated[float | None, Query(ge=0, le=MAX_WAIT_HOURS)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    reviewed: Annotated[str | None, Query(pattern=RUN_ID)] = None,
) -> Response:
    """The open escalations, most urgent first, a page at a time; `reviewed` names the run
    the reviewer just decided (when no case was left to open next)."""
    filters = QueueFilter(
        queue=queue or None,
        priority=priority,
        area=area or None,
        case_kind=kind or None,
        waited=None if waited is None else timedelta(hours=waited),
    )
    found = await anyio.to_thread.run_sync(queue_rows, state, filters, page)
    just_reviewed = await anyio.to_thread.run_sync(run_or_none, state, reviewed) if reviewed else None
    shown = {
        "queue": queue or "",
        "priority": priority,
        "area": area or "",
        "kind": kind or "",
        "waited": "" if waited is None else f"{waited:g}",
    }
    return render(
        request,
        "queue.html",
        {
            "session": session,
            "empty": empty,
            "reviewed": just_reviewed,
            "rows": [_row(r, found.now, state.settings.console_sla_hours) for r in found.page.rows],
            "page": found.page,
            "number": page,
            "first": found.page.offset + 1,
            "previous": _link(shown, page - 1) if found.page.has_previous else None,
            "next": _link(shown, page + 1) if found.page.has_next else None,
            "filters": shown,
            "queues": found.queues,
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


class QueueView(NamedTuple):
    """A page of the queue, the time it was read at, and the queues to filter by."""

    page: QueuePage
    now: datetime
    """What ages and SLA states count from."""
    queues: list[str]
    """Every queue holding an open escalation, whatever the filters."""


def queue_rows(state: ConsoleState, filters: QueueFilter, page: int) -> QueueView:
    """Page `page` (from 1) of the open escalations passing `filters`, in the queue's order
    (the store filters, sorts and pages), and the queues that hold any open escalation."""
    now = utcnow()
    engine = state.store.engine
    found = store_queue.queue_page(engine, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, now=now)
    return QueueView(found, now, store_queue.open_queues(engine))


def _row(row: QueueRow, now: datetime, sla: dict[int, float]) -> dict[str, Any]:
    escalation = row.escalation
    waited = now - escalation.opened_at
    allowed = timedelta(hours=sla[escalation.priority])
    state = "breached" if waited >= allowed else "due soon" if waited >= allowed * 0.75 else "ok"
    lease = row.lease
    return {
        "run_id": escalation.run_id,
        "title": row.title,
        "kind": row.case_kind,
        "queue": escalation.queue,
        "priority": escalation.priority,
        "proposal": escalation.agent_decision,
        "reasons": escalation.reasons,
        "areas": escalation.areas,
        "age": _age(waited),
        "sla": state,
        "lease": _who_has_it(lease),
        "lease_note": lease.note if lease is not None else None,
    }


def _link(filters: dict[str, Any], page: int) -> str:
    """The queue's URL for `page` with the same filters (empty ones left out)."""
    query = {k: v for k, v in filters.items() if v not in ("", None)}
    if page > 1:
        query["page"] = page
    return "/queue" + (f"?{urlencode(query)}" if query else "")


def _age(waited: timedelta) -> str:
    minutes = int(waited.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes // (24 * 60)} d"


def _who_has_it(lease: QueueLease | None) -> str | None:
    """Who has the case, as the queue says it (None: free)."""
    if lease is None:
        return None
    if lease.state == "held":
        return f"held by {lease.holder}"
    return f"leased to {lease.holder} until {lease.until:%H:%M} UTC"
