"""Server time on every console page: a `Server-Timing: app;dur=<ms>` header.

Browsers show it in their network panel, and the console benchmark reads it from a real
server (benchmarks/bench_console.py). It is the time from the request reaching the app
to the response's headers: a page is rendered whole before its headers go out, so that
is the page's server time, without the network. Only HTML responses carry it (the
console's pages), not the API's.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ServerTiming"]


class ServerTiming:
    """Add `Server-Timing: app;dur=<ms>` to HTML responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if kind.startswith(b"text/html"):
                    took = (time.perf_counter() - started) * 1000
                    headers.append((b"server-timing", f"app;dur={took:.2f}".encode()))
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, timed)
