"""Legal holds over HTTP, for admin tokens: `PUT` and `DELETE /v1/cases/{case_id}/hold`,
`GET /v1/holds`.

The holder is the token's name, never a field the client sends. Setting a hold is
idempotent (a case held already answers with its hold, unchanged); releasing one that is
not held is 404. Each set and release is chained to the case's runs (`workflows.holds`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from auditgraph.service.api.auth import caller
from auditgraph.service.api.problems import ProblemError
from auditgraph.service.api.state import ApiState, api_state
from auditgraph.store.holds import CaseNotFound, Hold, HoldChange, HoldConflict, HoldStore
from auditgraph.store.tokens import Identity
from auditgraph.workflows.holds import release_hold, set_hold

__all__ = ["router"]

router = APIRouter(tags=["holds"])
T = TypeVar("T")

CaseId = Annotated[str, Path(min_length=1, max_length=200, description="The case id.")]
Reason = Annotated[str, Field(min_length=1, max_length=500, description="Why, e.g. the matter's reference.")]


class HoldRequest(BaseModel):
    """Why the case is held."""

    reason: Reason


class RunMarked(BaseModel):
    """A run of the case, and whether a hold step was chained to its trace."""

    run_id: str
    status: str
    recorded: bool = Field(description="False for a run still running: the hold covers it by its case.")


class HoldAnswer(BaseModel):
    """A case's hold after the request, and the runs whose trace records the change."""

    hold: Hold
    active: bool
    changed: bool = Field(description="False when the case was held already: nothing was written.")
    runs: list[RunMarked]


class Holds(BaseModel):
    """Legal holds, oldest first."""

    holds: list[Hold]


def _answer(change: HoldChange | Hold) -> HoldAnswer:
    if isinstance(change, Hold):
        return HoldAnswer(hold=change, active=change.active, changed=False, runs=[])
    runs = [RunMarked(run_id=r.run_id, status=r.status, recorded=r.recorded) for r in change.runs]
    return HoldAnswer(hold=change.hold, active=change.hold.active, changed=True, runs=runs)


@router.put("/v1/cases/{case_id}/hold", response_model=HoldAnswer, summary="Hold a case")
async def put_hold(
    case_id: CaseId,
    body: HoldRequest,
    identity: Annotated[Identity, Depends(caller("manage_holds"))],
    state: Annotated[ApiState, Depends(api_state)],
) -> HoldAnswer:
    """Hold the case against retention and erasure, recording who (the token's name) and
    why in the trace of each of its runs; a case held already is answered as it is."""

    def hold() -> HoldChange | Hold:
        try:
            return set_hold(state.store, case_id, reason=body.reason, by=identity.name)
        except HoldConflict:
            current = HoldStore(state.store).get(case_id)
            if current is None or not current.active:  # released meanwhile: say so, do not guess
                raise
            return current

    return _answer(await state.read(_refusals(hold)))


@router.delete("/v1/cases/{case_id}/hold", response_model=HoldAnswer, summary="Release a case's hold")
async def delete_hold(
    case_id: CaseId,
    identity: Annotated[Identity, Depends(caller("manage_holds"))],
    state: Annotated[ApiState, Depends(api_state)],
    reason: Annotated[str, Query(min_length=1, max_length=500, description="Why it is released.")],
) -> HoldAnswer:
    """Release the case's hold, recording who and why in the trace of each of its runs."""
    change = await state.read(
        _refusals(lambda: release_hold(state.store, case_id, reason=reason, by=identity.name))
    )
    return _answer(change)


@router.get("/v1/holds", response_model=Holds, summary="List legal holds")
async def list_holds(
    identity: Annotated[Identity, Depends(caller("manage_holds"))],
    state: Annotated[ApiState, Depends(api_state)],
    released: Annotated[bool, Query(description="Also list holds released.")] = False,
) -> Holds:
    """Holds in force (and, with `released`, released ones), oldest first."""
    found = await state.read(lambda: HoldStore(state.store).list(include_released=released))
    return Holds(holds=found)


def _refusals(function: Callable[[], T]) -> Callable[[], T]:
    """`function`, with the store's refusals turned into problems."""

    def run() -> T:
        try:
            return function()
        except CaseNotFound as exc:
            raise ProblemError(404, "not-found", str(exc)) from None
        except HoldConflict as exc:
            raise ProblemError(404, "not-held", str(exc)) from None
        except ValueError as exc:
            raise ProblemError(422, "invalid-request", str(exc)) from None

    return run
