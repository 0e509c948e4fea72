"""`auditgraph serve`: flags, and one clear line when it cannot serve."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.service.api.conftest import free_port


def _serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditgraph.service", "serve", *args],
        cwd=tmp_path,
        env={**os.environ, "AUDITGRAPH_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_port_in_use_is_one_line_before_anything_loads(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        began = time.monotonic()
        done = _serve(tmp_path, "--port", str(port))
    assert done.returncode == 1
    assert (
        done.stderr.strip().splitlines()[-1]
        == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "Traceback" not in done.stderr
    assert time.monotonic() - began < 60


def test_an_unknown_host_is_refused(tmp_path: Path) -> None:
    done = _serve(tmp_path, "--host", "no-such-host.invalid")
    assert done.returncode == 2
    assert "cannot listen on no-such-host.invalid" in done.stderr and "Traceback" not in done.stderr


def test_a_bad_database_url_is_refused(tmp_path: Path) -> None:
    done = _serve(tmp_path, AUDITGRAPH_DATABASE_URL="not a url")
    assert done.returncode == 2
    assert "AUDITGRAPH_DATABASE_URL" in done.stderr and "Traceback" not in done.stderr


def test_flags_choose_where_it_listens_and_sigterm_stops_it(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "auditgraph.service", "serve", "--port", str(port)],
        cwd=tmp_path,
        env={**os.environ, "AUDITGRAPH_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json()["status"] == "ready"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    # uvicorn shuts down cleanly, then re-raises the signal it caught (exit by SIGTERM).
    assert process.returncode in (0, -15), output
    assert "Application shutdown complete" in output
    assert f"serving http://127.0.0.1:{port}" in output
    assert "Traceback" not in output
