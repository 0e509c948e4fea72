"""The HTTP API: `create_app(settings)` builds it; `auditgraph serve` runs it on uvicorn.

One process holds one auditor (opened by the lifespan, closed at shutdown), shared by
its requests; see `state`. Everything under `/v1` needs an API token; `/healthz`,
`/readyz` and `/metrics` do not (keep them off the public network, as usual).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from auditgraph.service.api import cases, escalations, health, holds, kpis, runs
from auditgraph.service.api.middleware import BodyLimit, RequestMetrics
from auditgraph.service.api.problems import MEDIA_TYPE, PROBLEM_TYPES, Problem, install_handlers
from auditgraph.service.api.state import open_state, warm
from auditgraph.service.console import mount_console
from auditgraph.service.settings import Settings

__all__ = ["API_VERSION", "create_app"]

API_VERSION = "1.0.0"

_DESCRIPTION = """\
Submit marketplace moderation cases for audit, read decisions and their traces, review
escalations, verify the record and fetch DSA statements of reasons.

Authenticate with an API token (`auditgraph tokens create --name N --role R`) as
`Authorization: Bearer agt_...`. Roles: **ops** submits and reads; **reviewer** reads and
reviews; **auditor** reads and verifies; **admin** manages tokens and legal holds only.

Every error is an RFC 9457 problem (`application/problem+json`).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for `settings` (read from the environment when None)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with ExitStack() as resources:
            app.state.api = open_state(settings, resources)
            await anyio.to_thread.run_sync(warm, app.state.api)
            yield
            # Audits still running are left to finish or be recovered (`auditgraph recover`).

    app = FastAPI(
        title="auditgraph",
        version=API_VERSION,
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        # A trailing slash is a different path: 404 with a problem, not a bodiless redirect.
        redirect_slashes=False,
    )
    install_handlers(app)
    for module in (cases, runs, escalations, holds, kpis, health):
        app.include_router(module.router)
    # The reviewer console, same process and identities: the one door the API mounts.
    mount_console(app, settings)
    app.add_middleware(BodyLimit, limit=settings.api_max_body_bytes)
    app.add_middleware(RequestMetrics)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the case schema and every error as a problem."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(cases.case_schema())
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            _problem_responses(path, operation)
    app.openapi_schema = schema
    return schema


def _problem_responses(path: str, operation: dict[str, Any]) -> None:
    """Document every error status the operation can answer, each as a problem."""
    responses = operation.setdefault("responses", {})
    authenticated = bool(operation.get("security"))
    statuses = {"500": "An unexpected error; the detail holds a correlation id."}
    if authenticated:
        statuses["401"] = "No API token, or one that is not valid."
        statuses["403"] = "The token's role may not do this."
    if operation.get("parameters") or operation.get("requestBody"):
        statuses["422"] = "A parameter or the body is not valid; `field` names it."
    if operation.get("requestBody"):
        statuses["413"] = "The body is larger than the server accepts."
        statuses["400"] = "The request is malformed."
    if path.startswith("/v1/"):
        statuses["503"] = "The database cannot be used now."
    for status, description in statuses.items():
        responses.setdefault(status, {"description": description})
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            response["content"] = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
            response.setdefault("description", PROBLEM_TYPES["internal"])
