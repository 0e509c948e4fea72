"""What a reviewer does with a lease besides reviewing: skip the case with a reason."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Form, HTTPException, Path
from fastapi.responses import RedirectResponse, Response

from auditgraph.service.console.session import Session
from auditgraph.service.console.web import RUN_ID, ConsoleState, check_form, shared, signed_in
from auditgraph.store.leases import LeaseStore

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


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
