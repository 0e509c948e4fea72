"""Signing in to the console with a reviewer, auditor or admin token, and signing out."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

import secrets
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auditgraph.service.console.session import CONSOLE_ROLES, CSRF_COOKIE, Session, same_token
from auditgraph.service.console.web import ConsoleState, render, sessions_of, shared, signed_in

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_FORBIDDEN_ROLE = "{role} tokens cannot sign in to the console; it is for reviewers, auditors and admins"


@router.get("/", response_class=HTMLResponse)
async def sign_in_page(request: Request, state: Annotated[ConsoleState, Depends(shared)]) -> Response:
    """The sign-in form; someone already signed in goes to the queue."""
    found = sessions_of(request).read(request)
    if found is not None and await anyio.to_thread.run_sync(state.tokens.identity_of, found[0]):
        return RedirectResponse("/queue", status_code=303)
    return _sign_in(request, None, 200)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(
    request: Request,
    state: Annotated[ConsoleState, Depends(shared)],
    token: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Start a session for a console token; any other token is refused with the reason."""
    if not same_token(csrf, request.cookies.get(CSRF_COOKIE)):
        return _sign_in(request, "The form expired; sign in again.", 403)
    identity = await anyio.to_thread.run_sync(state.tokens.authenticate, token.strip())
    if identity is None:
        return _sign_in(request, "That token is not valid: unknown, revoked or mistyped.", 401)
    if identity.role not in CONSOLE_ROLES:
        return _sign_in(request, _FORBIDDEN_ROLE.format(role=identity.role.capitalize()), 403)
    response = RedirectResponse("/queue", status_code=303)
    sessions_of(request).issue(response, request, identity)
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post("/sign-out")
async def sign_out(
    request: Request,
    session: Annotated[Session, Depends(signed_in)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """End the session."""
    if not same_token(csrf, session.csrf):
        raise HTTPException(403, "the form expired; reload the page")
    response = RedirectResponse("/", status_code=303)
    sessions_of(request).end(response)
    return response


def _sign_in(request: Request, problem: str | None, status: int) -> Response:
    """The sign-in page, with a fresh double-submit CSRF cookie."""
    csrf = secrets.token_urlsafe(32)
    response = render(request, "sign_in.html", {"csrf": csrf, "problem": problem}, status)
    response.set_cookie(
        CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )
    return response
