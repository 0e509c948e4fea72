"""ASGI middleware of the API: body size limit, request metrics and response headers.

Written against ASGI directly (not `BaseHTTPMiddleware`): it adds no task or copy per
request, and a body is counted as it streams in, so a client that lies in
`Content-Length`, or sends none (chunked), is stopped at the limit all the same.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auditgraph.service.api.metrics import ApiMetrics
from auditgraph.service.api.problems import ProblemError, problem_response

__all__ = ["BodyLimit", "RequestMetrics"]

_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
]


class BodyLimit:
    """Refuse request bodies larger than `limit` bytes with 413 (a problem)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            detail = (
                f"the body is {int(declared):,} bytes; the limit is {self.limit:,}"
                if declared.isdigit()
                else "Content-Length is not a number"
            )
            status, kind = (413, "too-large") if declared.isdigit() else (400, "invalid-request")
            await problem_response(None, status, kind, detail)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise ProblemError(
                        413, "too-large", f"the body is larger than the limit of {self.limit:,} bytes"
                    )
            return message

        await self.app(scope, counted, send)


class RequestMetrics:
    """Count and time every request by its route template, and add safe response headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            route = scope.get("route")
            # The template (/v1/runs/{run_id}), never the path: ids would make a label per run.
            template = getattr(route, "path", None) or "unmatched"
            state = getattr(getattr(scope.get("app"), "state", None), "api", None)
            metrics: ApiMetrics | None = getattr(state, "metrics", None)
            if metrics is not None:
                metrics.observe_request(template, scope["method"], status, time.perf_counter() - started)
