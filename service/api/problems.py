"""Errors as RFC 9457 problem details (`application/problem+json`), and nothing else.

Every error the API answers is a `Problem`: a `type` URI naming the kind of problem, a
`title` that is the same for every problem of that type, the HTTP `status`, a `detail`
for this occurrence, and where it helps the `field` or `key` at fault. An error the code
did not expect is a 500 whose detail holds only a correlation id; the same id is in the
server log with the traceback, which never reaches a client.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from auditgraph.store.errors import describe_database_error

__all__ = [
    "PROBLEM_TYPES",
    "FieldError",
    "Problem",
    "ProblemError",
    "install_handlers",
    "problem_response",
]

MEDIA_TYPE = "application/problem+json"
_BASE = "https://auditgraph.dev/problems/"
log = logging.getLogger("auditgraph.api")

PROBLEM_TYPES: dict[str, str] = {
    "unauthenticated": "Authentication required",
    "forbidden": "Not allowed for this role",
    "not-found": "Not found",
    "invalid-request": "The request is not valid",
    "invalid-case": "The case is not valid",
    "invalid-review": "The review is not valid",
    "idempotency-conflict": "Idempotency key reused with a different body",
    "stale-review": "The run changed since it was read",
    "review-conflict": "The run was already reviewed",
    "not-reviewable": "The run is not awaiting review",
    "no-statement": "The decision restricts nothing",
    "not-held": "The case is not under legal hold",
    "too-large": "Request body too large",
    "unsupported-media-type": "Unsupported media type",
    "method-not-allowed": "Method not allowed",
    "unavailable": "The service cannot serve this now",
    "internal": "Internal error",
}
"""Every problem type the API answers with, and its title."""

_STATUS_TYPES = {
    400: "invalid-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-request",
    503: "unavailable",
}


class FieldError(BaseModel):
    """One field at fault: its dotted path and what is wrong with it."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="The same for every problem of this type.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, in words.")
    instance: str | None = Field(default=None, description="The request path.")
    field: str | None = Field(default=None, description="The field at fault, as a dotted path.")
    key: str | None = Field(default=None, description="The idempotency key at fault.")
    errors: list[FieldError] | None = Field(default=None, description="Every field at fault.")
    correlation_id: str | None = Field(default=None, description="Quote it to the operator (500s).")


class ProblemError(Exception):
    """Raise to answer with a problem; `kind` is a key of `PROBLEM_TYPES`."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail, self.headers, self.extra = status, kind, detail, headers, extra


def problem_response(
    request: Request | None,
    status: int,
    kind: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem details response."""
    problem = Problem(
        type=_BASE + kind,
        title=PROBLEM_TYPES[kind],
        status=status,
        detail=detail,
        instance=request.url.path if request is not None else None,
        **extra,
    )
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def install_handlers(app: FastAPI) -> None:
    """Answer every error the app raises as a problem."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(request, exc.status, exc.kind, exc.detail, headers=exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = _STATUS_TYPES.get(exc.status_code, "invalid-request" if exc.status_code < 500 else "internal")
        detail = exc.detail if isinstance(exc.detail, str) else PROBLEM_TYPES[kind]
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"nothing is served at {request.url.path}; the API is under /v1 (see /docs)"
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem_response(request, exc.status_code, kind, detail, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_field_error(e) for e in exc.errors()[:10]]
        first = errors[0] if errors else FieldError(field="request", message="is not valid")
        return problem_response(
            request,
            422,
            "invalid-request",
            "; ".join(f"{e.field} {e.message}" for e in errors[:3]),
            field=first.field,
            errors=errors,
        )

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        # Said in words, never with the statement: its parameters carry case data.
        correlation = uuid.uuid4().hex
        log.error(
            "database error %s on %s %s: %s",
            correlation,
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return problem_response(
            request,
            503,
            "unavailable",
            f"the database cannot be used now ({describe_database_error(exc)}); correlation id {correlation}",
            correlation_id=correlation,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        correlation = uuid.uuid4().hex
        log.error("unexpected error %s on %s %s", correlation, request.method, request.url.path, exc_info=exc)
        return problem_response(
            request,
            500,
            "internal",
            f"the server could not complete the request; quote correlation id {correlation} to its operator",
            correlation_id=correlation,
        )


def _field_error(error: dict[str, Any]) -> FieldError:
    """A FastAPI validation error as a field path (`query.limit`, `header.idempotency-key`)."""
    where = ".".join(str(p) for p in error.get("loc", ()))
    message = str(error.get("msg", "is not valid"))
    if error.get("type") == "missing":
        message = "is missing"
    return FieldError(field=_printable(where) or "request", message=_printable(message))


def _printable(text: str) -> str:
    """Echoed input, made printable and short: a problem never carries control characters."""
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return shown if len(shown) <= 200 else shown[:197] + "..."
