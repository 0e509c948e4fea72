"""Mounting the console on the server's app: its pages, its static files, its sessions."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from auditgraph.service.console import case, dashboard, leases, progress, queue, runs, sign_in
from auditgraph.service.console.errors import install_page_errors
from auditgraph.service.console.session import Sessions
from auditgraph.service.console.timing import ServerTiming
from auditgraph.service.console.web import STATIC_DIR
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import console_secret

__all__ = ["mount_console"]


def mount_console(app: FastAPI, settings: Settings) -> None:
    """Serve the console's pages on `app`, with sessions signed by the settings' key.

    Raises:
        ConsoleSecretError: the key file cannot be used.
    """
    app.state.console_sessions = Sessions(
        console_secret(settings), max_age_s=settings.console_session_hours * 3600
    )
    for module in (sign_in, queue, case, leases, progress, dashboard, runs):
        app.include_router(module.router)
    install_page_errors(app)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(ServerTiming)
