"""The console's pages: sign-in, sign-out and the review queue (server-rendered, Jinja2).

Everything a seller or reviewer wrote reaches a page through Jinja2's autoescaping, as
text; no page loads anything from another origin.
"""

# No `from __future__ import annotations`: the routes are defined inside `console_router`,
# and FastAPI must resolve their annotations (which name its local dependencies) at once.

import pathlib
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any, Protocol

import anyio
from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine, select
from sqlmodel import col

from auditgraph.service.console.session import (
    CONSOLE_ROLES,
    CSRF_COOKIE,
    Session,
    Sessions,
    same_token,
)
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import console_secret
from auditgraph.store.base import RunNotFound
from auditgraph.store.leases import LeaseStore
from auditgraph.store.records import EscalationRecord, utcnow
from auditgraph.store.tables import RunRow
from auditgraph.store.tokens import TokenStore
from auditgraph.workflows.trace_contract import recorded_guard, recorded_verdict

__all__ = ["STATIC_DIR", "ConsoleState", "case_view", "console_router", "queue_rows"]

HERE = pathlib.Path(__file__).resolve().parent
"""The package's real folder (resolved: an editable install links each file)."""
STATIC_DIR = HERE / "static"
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
_FORBIDDEN_ROLE = "{role} tokens cannot sign in to the console; it is for reviewers, auditors and admins"


class ConsoleState(Protocol):
    """What the console reads from the server process it runs in."""

    settings: Settings
    tokens: TokenStore

    @property
    def store(self) -> Any: ...


def console_router(settings: Settings) -> APIRouter:
    """The console's routes, with sessions signed by the settings' console key.

    Raises:
        ConsoleSecretError: the key file cannot be used.
    """
    sessions = Sessions(console_secret(settings), max_age_s=settings.console_session_hours * 3600)
    router = APIRouter(include_in_schema=False)

    def state(request: Request) -> ConsoleState:
        return request.app.state.api  # type: ignore[no-any-return]

    async def signed_in(request: Request, shared: Annotated[ConsoleState, Depends(state)]) -> Session:
        found = sessions.read(request)
        identity = await anyio.to_thread.run_sync(shared.tokens.identity_of, found[0]) if found else None
        if found is None or identity is None or identity.role not in CONSOLE_ROLES:
            raise HTTPException(303, headers={"Location": "/"})
        return Session(identity, found[1])

    @router.get("/", response_class=HTMLResponse)
    async def sign_in_page(request: Request, shared: Annotated[ConsoleState, Depends(state)]) -> Response:
        found = sessions.read(request)
        if found is not None and await anyio.to_thread.run_sync(shared.tokens.identity_of, found[0]):
            return RedirectResponse("/queue", status_code=303)
        return _sign_in(request, None, 200)

    @router.post("/sign-in", response_class=HTMLResponse)
    async def sign_in(
        request: Request,
        shared: Annotated[ConsoleState, Depends(state)],
        token: Annotated[str, Form(max_length=200)] = "",
        csrf: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        if not same_token(csrf, request.cookies.get(CSRF_COOKIE)):
            return _sign_in(request, "The form expired; sign in again.", 403)
        identity = await anyio.to_thread.run_sync(shared.tokens.authenticate, token.strip())
        if identity is None:
            return _sign_in(request, "That token is not valid: unknown, revoked or mistyped.", 401)
        if identity.role not in CONSOLE_ROLES:
            return _sign_in(request, _FORBIDDEN_ROLE.format(role=identity.role.capitalize()), 403)
        response = RedirectResponse("/queue", status_code=303)
        sessions.issue(response, request, identity)
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    @router.post("/sign-out")
    async def sign_out(
        session: Annotated[Session, Depends(signed_in)], csrf: Annotated[str, Form(max_length=100)] = ""
    ) -> Response:
        if not same_token(csrf, session.csrf):
            raise HTTPException(403, "the form expired; reload the page")
        response = RedirectResponse("/", status_code=303)
        sessions.end(response)
        return response

    @router.get("/queue", response_class=HTMLResponse)
    async def queue_page(
        request: Request,
        session: Annotated[Session, Depends(signed_in)],
        shared: Annotated[ConsoleState, Depends(state)],
        empty: Annotated[bool, Query()] = False,
        queue: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]*$")] = None,
        priority: Annotated[int | None, Query(ge=1, le=4)] = None,
        area: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]*$")] = None,
        kind: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]*$")] = None,
    ) -> Response:
        rows = await anyio.to_thread.run_sync(
            queue_rows, shared, queue or None, priority, area or None, kind or None
        )
        return TEMPLATES.TemplateResponse(
            request,
            "queue.html",
            {
                "session": session,
                "empty": empty,
                "rows": rows,
                "filters": {
                    "queue": queue or "",
                    "priority": priority,
                    "area": area or "",
                    "kind": kind or "",
                },
                "queues": sorted({r["queue"] for r in rows}),
            },
        )

    @router.post("/queue/claim")
    async def claim(
        session: Annotated[Session, Depends(signed_in)],
        shared: Annotated[ConsoleState, Depends(state)],
        csrf: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        _check(session, csrf, review=True)
        leases = LeaseStore(shared.store.engine)
        ttl = timedelta(minutes=shared.settings.console_lease_minutes)
        lease = await anyio.to_thread.run_sync(
            lambda: leases.claim_next(session.identity.name, session.identity.token_id, ttl=ttl)
        )
        if lease is None:
            return RedirectResponse("/queue?empty=1", status_code=303)
        return RedirectResponse(f"/cases/{lease.run_id}", status_code=303)

    @router.get("/cases/{run_id}", response_class=HTMLResponse)
    async def case_page(
        request: Request,
        run_id: Annotated[str, Path(pattern=r"^run_[0-9a-f]{8,64}$")],
        session: Annotated[Session, Depends(signed_in)],
        shared: Annotated[ConsoleState, Depends(state)],
    ) -> Response:
        page = await anyio.to_thread.run_sync(case_view, shared, run_id)
        if page is None:
            raise HTTPException(404, f"no run {run_id!r}")
        return TEMPLATES.TemplateResponse(request, "case.html", {"session": session, **page})

    @router.post("/cases/{run_id}/skip")
    async def skip(
        run_id: Annotated[str, Path(pattern=r"^run_[0-9a-f]{8,64}$")],
        session: Annotated[Session, Depends(signed_in)],
        shared: Annotated[ConsoleState, Depends(state)],
        csrf: Annotated[str, Form(max_length=100)] = "",
        reason: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        _check(session, csrf, review=True)
        if not reason.strip():
            raise HTTPException(422, "say why you skip the case")
        escalation = await anyio.to_thread.run_sync(shared.store.escalation, run_id)
        if escalation is not None:
            leases = LeaseStore(shared.store.engine)
            await anyio.to_thread.run_sync(
                lambda: leases.release(escalation.escalation_id, session.identity.name, reason=reason.strip())
            )
        return RedirectResponse("/queue", status_code=303)

    return router


def _sign_in(request: Request, problem: str | None, status: int) -> Response:
    """The sign-in page, with a fresh double-submit CSRF cookie."""
    csrf = secrets.token_urlsafe(32)
    response = TEMPLATES.TemplateResponse(
        request, "sign_in.html", {"csrf": csrf, "problem": problem}, status_code=status
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )
    return response


def _check(session: Session, csrf: str, *, review: bool) -> None:
    """Refuse a form without the session's CSRF token, or an action the role may not take."""
    if not same_token(csrf, session.csrf):
        raise HTTPException(403, "the form expired; reload the page")
    if review and not session.may_review:
        raise HTTPException(
            403, f"{session.identity.role} tokens read the queue; reviewing takes a reviewer token"
        )


def case_view(shared: ConsoleState, run_id: str) -> dict[str, Any] | None:
    """What the case page shows of a run: the case as submitted, the agent's verdict, the
    guard's reasons, the escalation and its lease, and every step; None if there is no run."""
    store = shared.store
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


def queue_rows(
    shared: ConsoleState, queue: str | None, priority: int | None, area: str | None, kind: str | None
) -> list[dict[str, Any]]:
    """The open escalations as the queue shows them: priority then age, with the case's
    title and kind, the agent's proposal, the reasons, the age and the SLA state."""
    now = utcnow()
    found = [
        e
        for e in shared.store.open_escalations(queue=queue)
        if (priority is None or e.priority == priority) and (area is None or area in e.areas)
    ]
    cases = _cases(shared.store.engine, [e.run_id for e in found])
    rows = []
    for escalation in sorted(found, key=lambda e: (e.priority, e.opened_at)):
        title, case_kind = cases.get(escalation.run_id, ("(case erased)", ""))
        if kind is not None and case_kind != kind:
            continue
        rows.append(_row(escalation, title, case_kind, now, shared.settings.console_sla_hours))
    return rows


def _row(
    escalation: EscalationRecord, title: str, kind: str, now: datetime, sla: dict[int, float]
) -> dict[str, Any]:
    waited = now - escalation.opened_at
    allowed = timedelta(hours=sla[escalation.priority])
    state = "breached" if waited >= allowed else "due soon" if waited >= allowed * 0.75 else "ok"
    return {
        "run_id": escalation.run_id,
        "title": title,
        "kind": kind,
        "queue": escalation.queue,
        "priority": escalation.priority,
        "proposal": escalation.agent_decision,
        "reasons": escalation.reasons,
        "areas": escalation.areas,
        "age": _age(waited),
        "sla": state,
    }


def _cases(engine: Engine, run_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Each run's case title (the listing's, or the case's own) and kind, in one query."""
    if not run_ids:
        return {}
    query = select(RunRow.run_id, RunRow.case_kind, RunRow.case_json).where(col(RunRow.run_id).in_(run_ids))
    found = {}
    with engine.connect() as conn:
        for run_id, kind, case in conn.execute(query):
            listing = (case or {}).get("listing") or {}
            found[run_id] = (
                str(listing.get("title") or (case or {}).get("case_id") or "(case erased)"),
                kind,
            )
    return found


def _age(waited: timedelta) -> str:
    minutes = int(waited.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes // (24 * 60)} d"
