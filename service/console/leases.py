"""What happens to a case's lease on the case page besides reviewing: the holder extends
it while working (the page's script asks), parks it on hold with a note, or skips it with a
reason; an admin hands it to another reviewer.

A lease lasts `console_lease_minutes`. The case page counts it down, and while its holder
is active on the page (keys, pointer, scrolling) `static/lease.js` extends it, at most
every third of its length, so a reviewer at work never loses the case and one who walked
away does. A held lease does not expire by time: it stays with its holder until they skip
it or an admin reassigns it.
"""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Form, Header, HTTPException, Path
from fastapi.responses import JSONResponse, RedirectResponse, Response

from auditgraph.service.console.session import Session
from auditgraph.service.console.web import RUN_ID, ConsoleState, check_form, shared, signed_in
from auditgraph.store.leases import Lease, LeaseError, LeaseStore
from auditgraph.store.records import EscalationRecord, utcnow
from auditgraph.store.tokens import TokenInfo

__all__ = ["ACTIVE_WINDOW_S", "LeasePanel", "lease_panel", "router"]

router = APIRouter(include_in_schema=False)

ACTIVE_WINDOW_S = 60.0
"""A holder with a key press, pointer move or scroll in this many seconds (or a third of a
lease, if shorter) is at work: the page extends their lease."""


@dataclass(frozen=True)
class LeasePanel:
    """What the case page's lease section shows the viewer, besides the lease itself."""

    mine: bool
    """The viewer holds the lease (unexpired or held) and the case is open."""
    seconds_left: float | None
    """Until a "leased" lease expires, as of rendering; None without a running lease."""
    lease_seconds: float
    """How long a lease lasts, and so an extension."""
    reviewers: list[TokenInfo]
    """Whom an admin may reassign the case to (active reviewer tokens); empty for others."""
    active_window_s: float = ACTIVE_WINDOW_S
    """How recent a key press, pointer move or scroll must be for the page to extend."""


def lease_panel(
    state: ConsoleState, session: Session, escalation: EscalationRecord | None, lease: Lease | None
) -> LeasePanel:
    """The viewer's side of the case page's lease section (reads tokens: call in a thread)."""
    binding = lease is not None and not lease.expired
    is_open = escalation is not None and escalation.status == "open"
    mine = bool(binding and is_open and lease and lease.holder == session.identity.name)
    running = binding and lease is not None and lease.state == "leased"
    seconds_left = max(0.0, (lease.leased_until - utcnow()).total_seconds()) if running and lease else None
    reviewers = (
        [t for t in state.tokens.list_tokens(include_revoked=False) if t.role == "reviewer"]
        if is_open and session.identity.role == "admin"
        else []
    )
    length = _ttl(state).total_seconds()
    # Never longer than the throttle's third of a lease, so an idle holder's page stops extending.
    return LeasePanel(mine, seconds_left, length, reviewers, min(ACTIVE_WINDOW_S, length / 3))


@router.post("/cases/{run_id}/skip")
async def skip(
    run_id: Annotated[str, Path(pattern=RUN_ID)],
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Give the case back to the queue, saying why."""
    check_form(session, csrf, review=True)
    if not reason.strip():
        raise HTTPException(422, "say why you skip the case")
    escalation = await anyio.to_thread.run_sync(state.store.escalation, run_id)
    if escalation is not None:
        leases = LeaseStore(state.store.engine)
        await anyio.to_thread.run_sync(
            lambda: leases.release(escalation.escalation_id, session.identity.name, reason=reason.strip())
        )
    return RedirectResponse("/queue", status_code=303)


@router.post("/cases/{run_id}/lease/extend")
async def extend(
    run_id: Annotated[str, Path(pattern=RUN_ID)],
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    x_csrf_token: Annotated[str, Header(max_length=100)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> JSONResponse:
    """Move the caller's lease to expire a full lease length from now; the page's script
    calls it while the holder is at work (CSRF token in `X-CSRF-Token` or the form).

    Answers `{"leased_until": ISO time, "seconds_left": float}`, or 409 when the caller
    no longer holds the case (the lease expired, and may have been taken).
    """
    check_form(session, x_csrf_token or csrf, review=True)
    escalation = await anyio.to_thread.run_sync(state.store.escalation, run_id)
    lease = None
    if escalation is not None:
        leases = LeaseStore(state.store.engine)
        lease = await anyio.to_thread.run_sync(
            lambda: leases.extend(escalation.escalation_id, session.identity.name, ttl=_ttl(state))
        )
    if lease is None:
        return JSONResponse(
            {
                "detail": "this case is no longer yours: your lease expired and the case went back "
                "to the queue, or an admin reassigned it; reload the page to see who holds it"
            },
            status_code=409,
        )
    left = max(0.0, (lease.leased_until - utcnow()).total_seconds())
    return JSONResponse({"leased_until": lease.leased_until.isoformat(), "seconds_left": round(left, 3)})


@router.post("/cases/{run_id}/lease/hold")
async def hold(
    run_id: Annotated[str, Path(pattern=RUN_ID)],
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Put the caller's case on hold, saying why: it stays theirs beyond the lease's time
    until they skip it or an admin reassigns it."""
    check_form(session, csrf, review=True)
    if not note.strip():
        raise HTTPException(422, "say why you put the case on hold (e.g. waiting on a specialist)")
    escalation = await anyio.to_thread.run_sync(state.store.escalation, run_id)
    lease = None
    if escalation is not None:
        leases = LeaseStore(state.store.engine)
        lease = await anyio.to_thread.run_sync(
            lambda: leases.hold(escalation.escalation_id, session.identity.name, note=note.strip())
        )
    if lease is None:
        raise HTTPException(
            409, "you do not hold this case (your lease may have expired); start reviewing again to claim one"
        )
    return RedirectResponse(f"/cases/{run_id}", status_code=303)


@router.post("/cases/{run_id}/lease/reassign")
async def reassign(
    run_id: Annotated[str, Path(pattern=RUN_ID)],
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    token_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Hand the case to another reviewer (admins only): a fresh lease of full length,
    whoever held it and whatever its state."""
    check_form(session, csrf, admin=True)
    active = await anyio.to_thread.run_sync(lambda: state.tokens.list_tokens(include_revoked=False))
    reviewer = next((t for t in active if t.token_id == token_id and t.role == "reviewer"), None)
    if reviewer is None:
        raise HTTPException(422, f"no active reviewer token {token_id!r}; choose a reviewer from the list")
    escalation = await anyio.to_thread.run_sync(state.store.escalation, run_id)
    if escalation is None:
        raise HTTPException(409, f"run {run_id!r} has no escalation to reassign")
    leases = LeaseStore(state.store.engine)
    try:
        await anyio.to_thread.run_sync(
            lambda: leases.reassign(
                escalation.escalation_id, reviewer.name, reviewer.token_id, ttl=_ttl(state)
            )
        )
    except LeaseError as exc:
        raise HTTPException(409, str(exc)) from exc
    return RedirectResponse(f"/cases/{run_id}", status_code=303)


def _ttl(state: ConsoleState) -> timedelta:
    return timedelta(minutes=state.settings.console_lease_minutes)
