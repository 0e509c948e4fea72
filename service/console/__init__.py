"""The reviewer console (server-rendered pages), served by `auditgraph serve` beside the API."""

from auditgraph.service.console.pages import STATIC_DIR, console_router

__all__ = ["STATIC_DIR", "console_router"]
