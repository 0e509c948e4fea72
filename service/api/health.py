"""Health, readiness and metrics: unauthenticated, for the platform that runs the server."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from auditgraph.service.api.problems import problem_response
from auditgraph.service.api.state import ApiState, api_state
from auditgraph.store.errors import describe_database_error
from auditgraph.store.schema import current_revision, head_revision

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    """Answers while the event loop runs, whatever audits are in flight."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The process can serve",
    responses={503: {"description": "The database is unreachable or its schema is not current."}},
)
async def readyz(state: Annotated[ApiState, Depends(api_state)]) -> JSONResponse:
    """Ready when the database answers, its schema is at the migration this code needs and,
    with workers, the broker answers."""

    def check() -> str | None:
        try:
            with state.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            current, head = current_revision(state.store.engine), head_revision()
        except SQLAlchemyError as exc:
            return f"the database is unreachable: {describe_database_error(exc)}"
        if current != head:
            return (
                f"the database schema is at {current or 'nothing'}, not {head}: run `auditgraph db migrate`"
            )
        if state.dispatcher is not None:
            return state.dispatcher.broker_problem()
        return None

    problem = await state.read(check)
    if problem is not None:
        return problem_response(None, 503, "unavailable", problem)
    return JSONResponse({"status": "ready", "schema": head_revision()})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(state: Annotated[ApiState, Depends(api_state)]) -> Response:
    """Requests, latencies, audits and model usage of this process; runs, open escalations
    and escalation reasons of the whole record (Prometheus text format)."""
    body = await state.read(state.metrics.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
