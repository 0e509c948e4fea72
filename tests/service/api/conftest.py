"""A real `auditgraph serve` on 127.0.0.1 for the API tests, with a token per role.

The server runs in its own process, on a fresh SQLite database, started the way an
operator starts it; the tests talk to it over HTTP with httpx, as ops tooling would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from auditgraph.store import make_engine
from auditgraph.store.tokens import ROLES, TokenStore
from tests.conftest import load_case

START_TIMEOUT_S = 120.0


@dataclass
class Server:
    """A running API server and what tests need to call it."""

    url: str
    database_url: str
    log: Path
    process: subprocess.Popen[bytes]
    tokens: dict[str, str] = field(default_factory=dict)
    """A token for each role, by role."""

    def client(self, role: str | None = None, **headers: str) -> httpx.Client:
        """A client authenticated as `role` (none: no token)."""
        sent = dict(headers)
        if role is not None:
            sent["Authorization"] = f"Bearer {self.tokens[role]}"
        return httpx.Client(base_url=self.url, headers=sent, timeout=120.0)

    def server_log(self) -> str:
        """What the server printed so far."""
        return self.log.read_text(errors="replace")


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(folder: Path, database_url: str | None = None, **settings: str) -> Server:
    """Create a token per role, then start `auditgraph serve` in `folder` (on a new SQLite
    file there unless `database_url` is given) and wait until it answers."""
    folder.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{folder / 'audit.db'}"
    engine = make_engine(database_url)
    tokens = {role: TokenStore(engine).create(f"{role}-1", role).token for role in ROLES}
    engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "AUDITGRAPH_DATABASE_URL": database_url,
        "AUDITGRAPH_API_PORT": str(port),
        **{f"AUDITGRAPH_{k.upper()}": v for k, v in settings.items()},
    }
    log = folder / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "auditgraph.service", "serve"],
        cwd=folder,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", database_url, log, process, tokens)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{server.server_log()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT_S:.0f} s:\n{server.server_log()}")


def stop_server(server: Server) -> None:
    """Stop the server as an operator would (SIGTERM), and wait for it."""
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def server_fixture(name: str, scope: Literal["module", "package"] = "module") -> Any:
    """A fixture holding one server on its own database: for a test module, or for every
    module of the package that asks for it (each starts in 5-15 s, mostly loading the
    risk screen and the OCR engine)."""

    @pytest.fixture(scope=scope)
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
        running = start_server(tmp_path_factory.mktemp(name))
        try:
            yield running
        finally:
            stop_server(running)

    return server


api = server_fixture("api", scope="package")
"""The server of the modules here that only add cases and tokens of their own (fresh ids)
and read them back; a module that counts or lists everything keeps a server of its own."""


_made = 0


def fresh_case(name: str, **changes: Any) -> dict[str, Any]:
    """A bundled case under a case id no other test uses (its default idempotency key)."""
    global _made
    _made += 1
    case = load_case(name)
    case["case_id"] = f"{case['case_id']}-{os.getpid()}-{_made}"
    case.update(changes)
    return case


def is_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert `response` is a problem details body with `status`; return it."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body
