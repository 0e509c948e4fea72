"""`auditgraph serve`: the HTTP API on uvicorn (docs/operations.md, "The HTTP API")."""

from __future__ import annotations

import socket
from typing import Annotated

import typer
import uvicorn

from auditgraph.service.cli.common import err, fail, line, load_settings, opened_store
from auditgraph.service.wiring import ConsoleSecretError, console_secret

__all__ = ["serve"]


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: AUDITGRAPH_API_HOST, or 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: AUDITGRAPH_API_PORT, or 8080).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Server processes (default: AUDITGRAPH_API_WORKERS, or 1)."),
    ] = None,
) -> None:
    """Serve the HTTP API (/v1: submit, read, review, verify; /docs; /healthz, /readyz, /metrics).
    Callers authenticate with tokens from `auditgraph tokens create`."""
    settings = load_settings()
    changes = {k: v for k, v in {"api_host": host, "api_port": port, "api_workers": workers}.items() if v}
    settings = settings.model_copy(update=changes)
    if settings.broker_url is not None and not settings.include_sensitive:
        fail(
            "workers audit each run from its stored case: AUDITGRAPH_INCLUDE_SENSITIVE must be on with a broker"
        )
    # Opened once here so a bad database URL or schema is one line now, not a traceback per worker.
    opened_store(settings).engine.dispose()
    try:
        console_secret(settings)
    except ConsoleSecretError as exc:
        fail(str(exc))
    _can_listen(settings.api_host, settings.api_port)
    err.print(
        line(
            ("serving", "bold"),
            f" http://{settings.api_host}:{settings.api_port}  (OpenAPI at /docs and /openapi.json; "
            f"{settings.api_workers} worker(s))",
        ),
        soft_wrap=True,
    )
    try:
        # By import string: the CLI never imports another door, and each worker process
        # builds its own app from the same environment.
        uvicorn.run(
            "auditgraph.service.api:create_app",
            factory=True,
            host=settings.api_host,
            port=settings.api_port,
            workers=settings.api_workers,
            log_level="info",
        )
    except OSError as exc:
        fail(f"cannot listen on {settings.api_host}:{settings.api_port}: {exc.strerror or exc}", code=1)


def _can_listen(host: str, port: int) -> None:
    """Stop with one line, before the auditor loads, when the address cannot be listened on
    (uvicorn would load everything first, then log the error and exit 3)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc} (AUDITGRAPH_API_HOST or --host)")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", code=1)
