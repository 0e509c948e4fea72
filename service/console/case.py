"""The case page: everything a reviewer needs to answer "why did the agent decide this,
and is it right?" on one page, the listing's images (shown as each reviewer chose), and
the review form, which resumes the run."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

from datetime import timedelta
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auditgraph.service.console.case_view import case_view
from auditgraph.service.console.leases import lease_panel
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
from auditgraph.store.base import RunNotFound
from auditgraph.store.leases import LeaseStore
from auditgraph.store.preferences import Preferences, PreferenceStore
from auditgraph.tools.image_check import ImageProblem
from auditgraph.workflows import AuditFailed, RecordingError, ReviewError, ReviewInput, ReviewTaken
from auditgraph.workflows.runner import StaleReview

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
RunId = Annotated[str, Path(pattern=RUN_ID)]
_IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"))


@router.get("/cases/{run_id}", response_class=HTMLResponse)
async def case_page(
    request: Request,
    run_id: RunId,
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    reviewed: Annotated[str | None, Query(pattern=RUN_ID)] = None,
) -> Response:
    """One run's case page; `reviewed` names the run the reviewer just decided."""
    return await _page(request, state, session, run_id, reviewed=reviewed)


@router.get("/cases/{run_id}/images/{index}")
async def case_image(
    run_id: RunId,
    index: Annotated[int, Path(ge=0, lt=64)],
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
) -> Response:
    """The listing's image `index`, as the audit read it (only the case's own images, only
    from the allowed image folders, only image types a browser shows)."""
    case = await anyio.to_thread.run_sync(state.store.get_case, run_id)
    refs = ((case or {}).get("listing") or {}).get("images") or []
    if index >= len(refs):
        raise HTTPException(404, "the listing has no such image")
    try:
        data = await anyio.to_thread.run_sync(state.auditor.toolset.images.source.read, str(refs[index]))
    except ImageProblem as exc:
        raise HTTPException(404, f"the image cannot be shown: {exc}") from None
    media = _media_type(data)
    if media is None:
        raise HTTPException(415, "the file is not a PNG, JPEG, GIF or WebP image")
    return Response(data, media_type=media, headers={"Content-Disposition": "inline"})


@router.post("/cases/{run_id}/review", response_class=HTMLResponse)
async def review(
    request: Request,
    run_id: RunId,
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    decision: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    clause_ids: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006 (FastAPI copies it)
    digest: Annotated[str, Form(max_length=100)] = "",
    next_case: Annotated[bool, Form(alias="next")] = False,
) -> Response:
    """Record the reviewer's decision and resume the run; with `next`, lease the next case
    and open it. A refused review shows the page again, with the reason and the form as
    it was filled in."""
    check_form(session, csrf, review=True)
    form = {"decision": decision, "reason": reason, "clause_ids": clause_ids}
    problem = _form_problem(decision, reason.strip(), clause_ids)
    if problem is not None:
        return await _page(request, state, session, run_id, problem=problem, form=form, status=422)
    escalation = await anyio.to_thread.run_sync(state.store.escalation, run_id)
    lease = await anyio.to_thread.run_sync(_lease_of, state, escalation.escalation_id) if escalation else None
    if lease is not None and not lease.expired and lease.holder != session.identity.name:
        problem = f"{lease.holder} holds this case; your review was not recorded."
        return await _page(request, state, session, run_id, problem=problem, form=form, status=409)
    answer = ReviewInput(
        reviewer=session.identity.name,
        reviewer_role=session.identity.role,
        review_digest=digest or None,
        decision=decision,  # type: ignore[arg-type]
        reason=reason.strip(),
        clause_ids=clause_ids,
    )
    try:
        outcome = await state.audit(state.review, run_id, answer)
    except RunNotFound:
        raise HTTPException(404, f"no run {run_id!r}") from None
    except StaleReview:
        problem = (
            "The case changed after you opened it, so your review was not recorded. "
            "The page now shows it as it is: read it again and decide."
        )
        return await _page(request, state, session, run_id, problem=problem, form=form, status=409)
    except ReviewError as exc:  # ReviewTaken included: someone decided first
        status = 409 if isinstance(exc, ReviewTaken) else 422
        return await _page(request, state, session, run_id, problem=str(exc), form=form, status=status)
    except AuditFailed:
        await anyio.to_thread.run_sync(state.count, run_id, None)
    except RecordingError as exc:
        problem = f"The review could not be recorded completely ({exc}); try again."
        return await _page(request, state, session, run_id, problem=problem, form=form, status=503)
    else:
        if outcome is not None:  # None: a worker resumes the run
            await anyio.to_thread.run_sync(state.count, run_id, outcome)
    if escalation is not None:
        await anyio.to_thread.run_sync(_give_back, state, escalation.escalation_id, session.identity.name)
    if next_case:
        return await _claim_next(state, session, run_id)
    return RedirectResponse(f"/cases/{run_id}?reviewed={run_id}", status_code=303)


@router.post("/preferences")
async def preferences(
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    images: Annotated[Literal["blurred", "hover", "clear"], Form()] = "blurred",
    grayscale: Annotated[bool, Form()] = False,
    back: Annotated[str, Form(max_length=200, pattern=r"^/[A-Za-z0-9_/?=&.-]*$")] = "/queue",
) -> Response:
    """Keep how the user wants listing images shown, and go back to the page."""
    check_form(session, csrf)
    chosen = Preferences(images=images, grayscale=grayscale)
    await anyio.to_thread.run_sync(PreferenceStore(state.store.engine).save, session.identity.name, chosen)
    # Only a path on this site: never `//elsewhere`.
    return RedirectResponse(back if not back.startswith("//") else "/queue", status_code=303)


async def _page(
    request: Request,
    state: ConsoleState,
    session: Session,
    run_id: str,
    *,
    reviewed: str | None = None,
    problem: str | None = None,
    form: dict[str, object] | None = None,
    status: int = 200,
) -> Response:
    page = await anyio.to_thread.run_sync(case_view, state, run_id, session.identity.name)
    if page is None:
        raise HTTPException(404, f"no run {run_id!r}")
    just_reviewed = await anyio.to_thread.run_sync(run_or_none, state, reviewed) if reviewed else None
    panel = await anyio.to_thread.run_sync(lease_panel, state, session, page["escalation"], page["lease"])
    context = {
        "session": session,
        "problem": problem,
        "form": form or {"decision": "", "reason": "", "clause_ids": []},
        "reviewed": just_reviewed,
        "here": request.url.path,
        "lease_panel": panel,
        **page,
    }
    return render(request, "case.html", context, status)


async def _claim_next(state: ConsoleState, session: Session, reviewed: str) -> Response:
    leases = LeaseStore(state.store.engine)
    lease = await anyio.to_thread.run_sync(
        lambda: leases.claim_next(
            session.identity.name,
            session.identity.token_id,
            ttl=timedelta(minutes=state.settings.console_lease_minutes),
        )
    )
    if lease is None:
        return RedirectResponse(f"/queue?empty=1&reviewed={reviewed}", status_code=303)
    return RedirectResponse(f"/cases/{lease.run_id}?reviewed={reviewed}", status_code=303)


def _form_problem(decision: str, reason: str, clause_ids: list[str]) -> str | None:
    """What is missing from a review form, in words; None when it is complete."""
    if decision not in ("approve", "reject", "restrict"):
        return "Choose a decision: approve, reject or restrict."
    if decision != "approve" and not clause_ids:
        return f"A decision to {decision} must rest on at least one of the retrieved clauses."
    if not reason:
        return "Say why: the reason is part of the record."
    return None


def _lease_of(state: ConsoleState, escalation_id: str) -> object:
    return LeaseStore(state.store.engine).lease_of(escalation_id)


def _give_back(state: ConsoleState, escalation_id: str, holder: str) -> None:
    """End the reviewer's lease on a case they decided (nothing if they held none)."""
    LeaseStore(state.store.engine).release(escalation_id, holder, reason="reviewed")


def _media_type(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((media for magic, media in _IMAGE_TYPES if data.startswith(magic)), None)
