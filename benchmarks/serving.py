"""What the benchmarks that talk HTTP share: `auditgraph serve` started on a store as an
operator starts it, on a free port, with a token for the benchmark's client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from auditgraph.store import make_engine
from auditgraph.store.tokens import TokenStore

__all__ = ["serve"]


def serve(
    folder: Path, url: str, *, name: str, role: str, settings: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str, str]:
    """Start the server on the database `url` (its log in `folder/server.log`), with any more
    `settings` (environment variables), and wait until it is ready; the process, its base
    URL and a new `role` token named `name`."""
    engine = make_engine(url)
    token = TokenStore(engine).create(name, role).token
    engine.dispose()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, **(settings or {}), "AUDITGRAPH_DATABASE_URL": url, "AUDITGRAPH_API_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "auditgraph.service", "serve"],
        cwd=folder,
        env=env,
        stdout=(folder / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return process, base, token
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server did not start:\n{(folder / 'server.log').read_text()}")
