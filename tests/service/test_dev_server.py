"""LangGraph's dev server (`langgraph dev`, langgraph.json) runs audits that the record sees whole.

A real server on 127.0.0.1, driven with langgraph-sdk: an escalating case pauses at review,
the server is stopped and started again on the same working folder (its in-memory state is
kept under .langgraph_api there), the reviewer's decision resumes the run, and the CLI, in
its own process, finds the run, its trace and its decision, and verifies it. Checkpoints
are read strictly (LANGGRAPH_STRICT_MSGPACK=true), as LangGraph will by default.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_sync_client

from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_store
from tests.conftest import ROOT, load_case

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
CASE = "ip_report_needs_specialist"
"""A bundled case the rules agent escalates (to the IP specialists)."""
REVIEW = {"reviewer": "alice", "decision": "approve", "reason": "Licence checked; genuine."}
STARTUP_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DevServer:
    """`langgraph dev` in its own working folder, which it keeps across restarts."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.startups: list[float] = []

    def start(self) -> None:
        started = time.monotonic()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(BIN / "langgraph"),
                    "dev",
                    "--no-browser",
                    "--no-reload",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--config",
                    str(ROOT / "langgraph.json"),
                ],
                cwd=self.folder,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        while time.monotonic() - started < STARTUP_SECONDS:
            if self.process.poll() is not None:
                pytest.fail(f"langgraph dev exited ({self.process.returncode}):\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/ok", timeout=1).status_code == 200:
                    self.startups.append(time.monotonic() - started)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"langgraph dev did not answer within {STARTUP_SECONDS}s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dev-server")


@pytest.fixture(scope="module")
def env(folder: Path) -> dict[str, str]:
    """The server's and the CLI's environment: one audit database, the development key in the folder."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AUDITGRAPH_", "LANGGRAPH_", "LANGSMITH_"))
    }
    env.update(
        AUDITGRAPH_DATABASE_URL=f"sqlite:///{folder / 'audit.db'}",
        AUDITGRAPH_IMAGE_TEXT="none",
        LANGGRAPH_STRICT_MSGPACK="true",
        LANGSMITH_TRACING="false",
    )
    return env


@pytest.fixture(scope="module")
def server(folder: Path, env: dict[str, str]) -> Iterator[DevServer]:
    dev = DevServer(folder, env)
    dev.start()
    try:
        yield dev
    finally:
        dev.stop()


def _cli(env: dict[str, str], folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "auditgraph"), *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )


def _run(server: DevServer, thread_id: str, **kwargs: Any) -> dict[str, Any]:
    client = get_sync_client(url=server.url, api_key=None)
    try:
        result = client.runs.wait(thread_id, "auditgraph", **kwargs)
    except Exception as exc:
        pytest.fail(f"the run on thread {thread_id} failed: {exc}\n{server.tail()}")
    assert isinstance(result, dict)
    return result


def test_a_dev_server_run_paused_restarted_and_resumed_is_recorded_and_verifies(
    server: DevServer, folder: Path, env: dict[str, str]
) -> None:
    client = get_sync_client(url=server.url, api_key=None)
    given = client.threads.create()["thread_id"]
    derived = client.threads.create()["thread_id"]
    runs = {"run_devserver1": given, f"run_{uuid.UUID(derived).hex}": derived}

    paused = _run(server, given, input={"run_id": "run_devserver1", "submission": load_case(CASE)})
    assert paused["__interrupt__"][0]["value"]["run_id"] == "run_devserver1"
    paused = _run(server, derived, input={"submission": load_case(CASE)})
    assert paused["run_id"] == f"run_{uuid.UUID(derived).hex}"
    assert client.threads.get_state(derived)["next"] == ["await_review"]

    store = open_store(Settings(database_url=env["AUDITGRAPH_DATABASE_URL"]))
    for run_id in runs:
        assert store.get_run(run_id).status == "awaiting_review"
    assert sorted(e.run_id for e in store.open_escalations()) == sorted(runs)
    assert (folder / ".langgraph_api").is_dir()

    server.restart()
    for thread_id in runs.values():
        final = _run(server, thread_id, command={"resume": REVIEW})
        assert final["decision"]["decision"] == "approve", server.tail()

    assert store.open_escalations() == []
    for run_id in runs:
        run = store.get_run(run_id)
        assert (run.status, run.decision) == ("completed", "approve")
        [review] = store.reviews(run_id)
        assert (review.reviewer, review.decision) == ("alice", "approve")
        steps = store.steps(run_id)
        assert [s.seq for s in steps] == list(range(1, len(steps) + 1))
        assert [s.node for s in steps if s.kind == "node"][-2:] == ["await_review", "finalize"]

    listed = _cli(env, folder, "runs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {r["run_id"]: r["decision"] for r in json.loads(listed.stdout)} == dict.fromkeys(runs, "approve")
    for run_id in runs:
        shown = _cli(env, folder, "trace", run_id)
        assert shown.returncode == 0, shown.stderr
        assert "reviewer alice decided approve" in shown.stdout
    verified = _cli(env, folder, "trace", "verify", "--all")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "2 of 2 run(s) verify" in verified.stdout
    assert "Blocked deserialization" not in server.log.read_text(errors="replace")
    print(f"dev server startups: {', '.join(f'{s:.1f}s' for s in server.startups)}")
