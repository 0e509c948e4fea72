"""Errors on console pages as pages: a browser that posts an expired form, asks for a
missing case or sends an invalid field gets a page that says so, not a JSON problem.

The API's handlers stay in force for everything else (the API, the health and metrics
routes, and the console's own JSON endpoints, which browsers' scripts call without
asking for HTML); a redirect (a session gone: back to sign-in) passes through untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from auditgraph.service.console.web import render

__all__ = ["install_page_errors"]

_NOT_PAGES = ("/v1/", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json", "/console/static/")

Handler = Callable[[Request, Exception], Awaitable[Response]]


def install_page_errors(app: FastAPI) -> None:
    """Answer errors on console pages asked for by a browser with an HTML page; leave
    every other error to the handler already installed (the API's problems)."""
    for kind in (StarletteHTTPException, RequestValidationError):
        app.add_exception_handler(kind, _as_page(app.exception_handlers[kind]))


def _as_page(fallback: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 422
        if not _wants_page(request) or 300 <= status < 400:
            return await fallback(request, exc)
        return render(
            request,
            "error.html",
            {"status": status, "title": HTTPStatus(status).phrase, "detail": _detail(exc)},
            status,
        )

    return handle


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return "text/html" in request.headers.get("accept", "") and not path.startswith(_NOT_PAGES)


def _detail(exc: Exception) -> str:
    if isinstance(exc, RequestValidationError):
        said = []
        for error in exc.errors()[:3]:
            where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "the form"
            said.append(f"{where}: {error.get('msg', 'is not valid')}")
        return "The form is not valid: " + "; ".join(said) + "."
    detail = getattr(exc, "detail", "")
    if not isinstance(detail, str) or detail in ("Not Found", ""):
        return "There is no such page."
    return detail[:1].upper() + detail[1:] + ("" if detail.endswith(".") else ".")
