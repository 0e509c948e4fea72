"""KPIs: the moderation leads' figures for a window of runs, as JSON (the console's
dashboard shows the same)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from auditgraph.service.api.auth import caller
from auditgraph.service.api.models import KpiReport
from auditgraph.service.api.problems import ProblemError
from auditgraph.service.api.state import ApiState, api_state
from auditgraph.service.kpis import Window, read_kpis
from auditgraph.store.tokens import Identity
from auditgraph.tools.case import PolicyArea

__all__ = ["router"]

router = APIRouter(tags=["kpis"])


@router.get("/v1/kpis", response_model=KpiReport, summary="Read the moderation KPIs of a window")
async def kpis(
    identity: Annotated[Identity, Depends(caller("read"))],
    state: Annotated[ApiState, Depends(api_state)],
    since: Annotated[
        datetime | None,
        Query(
            description="Runs started at or after (ISO 8601; UTC if no offset). Default: 7 days before `until`."
        ),
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Runs started before (ISO 8601; UTC if no offset). Default: now.")
    ] = None,
    area: Annotated[
        PolicyArea | None, Query(description="Only runs in this policy area, e.g. counterfeit_ip.")
    ] = None,
) -> KpiReport:
    """Cases audited, automation and escalation rates (by queue and reason), reviewer
    overrides and agreement per area, time to decision, backlog age, SLA breaches and
    model cost per case, for runs started in [since, until)."""
    try:
        window = Window.of(since, until)
    except ValueError as exc:
        raise ProblemError(422, "invalid-request", str(exc), field="query.since") from None
    found = await state.read(read_kpis, state, window, area)
    return KpiReport.model_validate(found.to_json())
