"""`GET /v1/escalations`: the open review queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from auditgraph.service.api.auth import caller
from auditgraph.service.api.models import Escalations
from auditgraph.service.api.state import ApiState, api_state
from auditgraph.store.tokens import Identity

__all__ = ["router"]

router = APIRouter(tags=["escalations"])


@router.get("/v1/escalations", response_model=Escalations, summary="List open escalations")
async def list_escalations(
    identity: Annotated[Identity, Depends(caller("read"))],
    state: Annotated[ApiState, Depends(api_state)],
    queue: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")] = None,
    priority: Annotated[
        int | None, Query(ge=1, le=4, description="Only this priority (1 is the most urgent).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Escalations:
    """Open escalations, most urgent first, then riskiest, then oldest."""
    found = await state.read(lambda: state.store.open_escalations(queue=queue))
    if priority is not None:
        found = [e for e in found if e.priority == priority]
    return Escalations(escalations=found[:limit])
