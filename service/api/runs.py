"""Runs: list and filter them, read one with its trace, verify it, review it, and its
statement of reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from auditgraph.service.api.auth import caller
from auditgraph.service.api.models import ReviewRequest, RunDetail, RunPage, Trace, Verification
from auditgraph.service.api.problems import ProblemError
from auditgraph.service.api.state import ApiState, api_state, count_run
from auditgraph.service.api.views import matching_runs, run_detail, run_trace, run_verification
from auditgraph.store.base import RunNotFound
from auditgraph.store.records import FinalDecision, RunStatus, as_utc
from auditgraph.store.search import RunCursor, RunFilter
from auditgraph.store.tokens import Identity
from auditgraph.tools.case import CaseKind, PolicyArea
from auditgraph.tools.policy_retrieval import PolicyPackError
from auditgraph.workflows import AuditFailed, RecordingError, ReviewError, ReviewInput, ReviewTaken
from auditgraph.workflows.runner import StaleReview
from auditgraph.workflows.transparency import run_statement

__all__ = ["RunId", "router"]

router = APIRouter(tags=["runs"])

RunId = Annotated[
    str,
    Path(pattern=r"^run_[0-9a-f]{8,64}$", max_length=68, description="A run id, e.g. run_3f2a9c1e0b7d4e5f."),
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No run has that id."}}


@router.get("/v1/runs", response_model=RunPage, summary="List runs, newest first")
async def list_runs(
    identity: Annotated[Identity, Depends(caller("read"))],
    state: Annotated[ApiState, Depends(api_state)],
    status: RunStatus | None = None,
    decision: FinalDecision | None = None,
    queue: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")] = None,
    area: Annotated[PolicyArea | None, Query(description="A policy area, e.g. counterfeit_ip.")] = None,
    case_kind: CaseKind | None = None,
    seller: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")] = None,
    since: Annotated[
        datetime | None, Query(description="Started at or after (ISO 8601; UTC if no offset).")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Started before (ISO 8601; UTC if no offset).")
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
) -> RunPage:
    """Runs matching every filter given, newest first, a page at a time."""
    after = None
    if cursor is not None:
        try:
            after = RunCursor.decode(cursor)
        except ValueError as exc:
            raise ProblemError(422, "invalid-request", str(exc), field="query.cursor") from None
    clauses = tuple(c.id for c in state.auditor.toolset.packs.current.clauses if area and c.covers(area))
    try:
        filters = RunFilter(
            status=status,
            decision=decision,
            queue=queue,
            area=area,
            area_clauses=clauses,
            case_kind=case_kind,
            seller_id=seller,
            since=as_utc(since),
            until=as_utc(until),
        )
    except ValueError as exc:  # e.g. a window that ends before it starts
        raise ProblemError(422, "invalid-request", str(exc), field="query.since") from None
    size = limit or state.settings.api_page_size
    found = await state.read(matching_runs, state, filters, size + 1, after)
    page = found[:size]
    more = len(found) > size
    return RunPage(runs=page, next_cursor=RunCursor.of(page[-1]).encode() if more else None)


@router.get("/v1/runs/{run_id}", response_model=RunDetail, responses=_NOT_FOUND, summary="Read a run")
async def get_run(
    run_id: RunId,
    identity: Annotated[Identity, Depends(caller("read"))],
    state: Annotated[ApiState, Depends(api_state)],
) -> RunDetail:
    """The run, the verdict, the guard's checks, its escalation and reviews, the final
    decision, and while it awaits review the `review_digest` a review must send back."""
    return await _found(state, run_id, run_detail, state, run_id)


@router.get(
    "/v1/runs/{run_id}/trace", response_model=Trace, responses=_NOT_FOUND, summary="Read a run's trace"
)
async def get_trace(
    run_id: RunId,
    identity: Annotated[Identity, Depends(caller("read"))],
    state: Annotated[ApiState, Depends(api_state)],
) -> Trace:
    """Every step of the run (the same data as `auditgraph trace --json`)."""
    return await _found(state, run_id, run_trace, state, run_id)


@router.get(
    "/v1/runs/{run_id}/verify",
    response_model=Verification,
    responses=_NOT_FOUND,
    summary="Verify a run's record",
)
async def verify(
    run_id: RunId,
    identity: Annotated[Identity, Depends(caller("verify"))],
    state: Annotated[ApiState, Depends(api_state)],
) -> Verification:
    """Recompute the run's hash chain and compare its rows and signed log entry with it."""
    return await _found(state, run_id, run_verification, state, run_id)


@router.get(
    "/v1/runs/{run_id}/statement-of-reasons",
    responses={404: {"description": "No run has that id, or its decision restricts nothing."}},
    summary="The run's DSA statement of reasons",
)
async def statement_of_reasons(
    run_id: RunId,
    identity: Annotated[Identity, Depends(caller("read"))],
    state: Annotated[ApiState, Depends(api_state)],
) -> dict[str, Any]:
    """The statement of reasons for a reject or restrict, in the DSA Transparency
    Database's format (the same as `auditgraph export sor`)."""
    try:
        statement = await _found(
            state, run_id, run_statement, state.store, state.auditor.toolset.packs, run_id
        )
    except PolicyPackError as exc:
        raise ProblemError(503, "unavailable", f"the statement cannot be built: {exc}") from None
    if statement is None:
        raise ProblemError(
            404,
            "no-statement",
            f"run {run_id} has no final decision that restricts anything (only a reject or restrict has a statement)",
        )
    return statement


@router.post(
    "/v1/runs/{run_id}/review",
    response_model=RunDetail,
    responses={
        **_NOT_FOUND,
        202: {"model": RunDetail, "description": "Recorded; a worker resumes the run: poll it."},
        409: {"description": "Reviewed already, not awaiting review, or changed since read (stale digest)."},
        422: {"description": "The review is not valid (e.g. a clause the run's pack does not have)."},
    },
    summary="Review an escalated run",
)
async def review(
    run_id: RunId,
    body: ReviewRequest,
    response: Response,
    identity: Annotated[Identity, Depends(caller("review"))],
    state: Annotated[ApiState, Depends(api_state)],
) -> RunDetail:
    """Record the caller's decision on an escalated run and resume it. The reviewer is the
    token's holder; `review_digest` must be the one read with the run. 200 with the run
    resumed; 202 when workers resume it (poll the run)."""
    run = await _found(state, run_id, state.store.get_run, run_id)
    if run.status != "awaiting_review":
        raise ProblemError(409, "not-reviewable", f"run {run_id} is {run.status}, not awaiting review")
    answer = ReviewInput(
        reviewer=identity.name,
        reviewer_role=identity.role,
        review_digest=body.review_digest,
        decision=body.decision,
        reason=body.reason,
        clause_ids=body.clause_ids,
    )
    try:
        outcome = await state.audit(state.review, run_id, answer)
    except StaleReview as exc:
        raise ProblemError(409, "stale-review", str(exc)) from None
    except ReviewTaken as exc:
        raise ProblemError(409, "review-conflict", str(exc)) from None
    except RunNotFound as exc:
        raise ProblemError(404, "not-found", str(exc)) from None
    except ReviewError as exc:
        raise ProblemError(422, "invalid-review", str(exc)) from None
    except AuditFailed:
        await state.read(count_run, state, run_id, None)
    except RecordingError as exc:
        raise ProblemError(
            503, "unavailable", f"the review could not be recorded completely: {exc}"
        ) from None
    else:
        if outcome is None:
            response.status_code = 202
        else:
            await state.read(count_run, state, run_id, outcome)
    return await state.read(run_detail, state, run_id)


async def _found(state: ApiState, run_id: str, read: Any, *args: Any) -> Any:
    """`read(*args)` in the read pool; 404 with a problem when there is no run `run_id`."""
    try:
        return await state.read(read, *args)
    except RunNotFound:
        raise ProblemError(404, "not-found", f"no run {run_id!r}; list runs with GET /v1/runs") from None
