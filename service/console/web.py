"""What every console page shares: templates, the server's state, the signed-in session,
and the check every form passes (its CSRF token, and the role the action needs)."""

# No `from __future__ import annotations`: FastAPI resolves the dependencies' annotations.

import pathlib
from collections.abc import Callable
from typing import Annotated, Any, Protocol, TypeVar

import anyio
from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from auditgraph.service.console.session import CONSOLE_ROLES, Session, Sessions, same_token
from auditgraph.service.settings import Settings
from auditgraph.store.base import RunNotFound
from auditgraph.store.records import RunRecord
from auditgraph.store.tokens import TokenStore
from auditgraph.workflows import Auditor, RunOutcome
from auditgraph.workflows.nodes import ReviewInput

T = TypeVar("T")

__all__ = [
    "RUN_ID",
    "STATIC_DIR",
    "TEMPLATES",
    "ConsoleState",
    "check_form",
    "render",
    "run_or_none",
    "sessions_of",
    "shared",
    "signed_in",
]

HERE = pathlib.Path(__file__).resolve().parent
"""The package's real folder (resolved: an editable install links each file)."""
STATIC_DIR = HERE / "static"
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
RUN_ID = r"^run_[0-9a-f]{8,64}$"
"""What a run id in a console path looks like."""


PAGE_HEADERS = {
    # Scripts, styles and images come from the app alone, and never inline: seller text
    # that slipped past escaping still could not run. Frames are refused (clickjacking).
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
}
"""Besides those every response gets (no-store, nosniff, no referrer: the API's middleware)."""


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A console page from its template, with the console's security headers."""
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


class ConsoleState(Protocol):
    """What the console uses of the server process it runs in (the API's state)."""

    settings: Settings
    tokens: TokenStore
    auditor: Auditor

    @property
    def store(self) -> Any: ...

    async def audit(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking audit step (a review resumes a run) in the audit pool."""
        ...

    def count(self, run_id: str, outcome: RunOutcome | None) -> None:
        """Count a run this process resumed in the metrics."""

    def review(self, run_id: str, answer: ReviewInput) -> RunOutcome | None:
        """Record a review and resume the run here, or queue it for a worker (None)."""
        ...


def shared(request: Request) -> ConsoleState:
    """The server process's state (one auditor, one store, the settings)."""
    return request.app.state.api  # type: ignore[no-any-return]


def sessions_of(request: Request) -> Sessions:
    """The console's session signer, made when the console was mounted."""
    return request.app.state.console_sessions  # type: ignore[no-any-return]


async def signed_in(request: Request, state: Annotated[ConsoleState, Depends(shared)]) -> Session:
    """The request's session; anyone without a live one is sent to sign in.

    The token is looked up on every request, so a revoked token ends its sessions at once.
    """
    found = sessions_of(request).read(request)
    identity = await anyio.to_thread.run_sync(state.tokens.identity_of, found[0]) if found else None
    if found is None or identity is None or identity.role not in CONSOLE_ROLES:
        raise HTTPException(303, headers={"Location": "/"})
    return Session(identity, found[1])


def check_form(session: Session, csrf: str, *, review: bool = False, admin: bool = False) -> None:
    """Refuse a form without the session's CSRF token, or an action the role may not take."""
    if not same_token(csrf, session.csrf):
        raise HTTPException(403, "the form expired; reload the page")
    if review and not session.may_review:
        raise HTTPException(
            403, f"{session.identity.role} tokens read the queue; reviewing takes a reviewer token"
        )
    if admin and session.identity.role != "admin":
        raise HTTPException(403, "only an admin can do that")


def run_or_none(state: ConsoleState, run_id: str) -> RunRecord | None:
    """The run `run_id`, or None if there is none (for a notice about it)."""
    try:
        return state.store.get_run(run_id)  # type: ignore[no-any-return]
    except RunNotFound:
        return None
