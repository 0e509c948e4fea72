"""A small deployment on this machine for the worker tests: a private PostgreSQL schema, a
queue of its own on the real RabbitMQ, one `auditgraph serve` and as many `auditgraph
worker` processes as a test starts, each started as an operator would.

The API server reaches the broker through a `Proxy`, so a test can take the broker away
from the server alone. Leases are short (3 s) and the sweep runs every second, so a dead
worker's runs move on within seconds. Durability is the default (`exit`): a run's trace is
written with its pause or end in one transaction, so a run killed midway has recorded
nothing yet and is audited again, and a review resumes from the paused checkpoint. The risk screen's
embedder and the OCR engine are off: these tests are about who runs what, not about
judgment, and each worker process starts in seconds without them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from auditgraph.store import SqlAuditStore, make_engine
from auditgraph.store.dispatch import DispatchStore
from auditgraph.store.integrity import verify_store
from tests.conftest import POSTGRES
from tests.service.api.conftest import Server, start_server, stop_server
from tests.service.worker.proxy import Proxy
from tests.services import postgres_unreachable

BROKER = ("127.0.0.1", 5672)
LEASE_S = 3
READY_TIMEOUT_S = 90.0


@dataclass
class Worker:
    """One `auditgraph worker` process (and its pool's children, in its process group)."""

    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        """Send `sig` to the worker and its children at once."""
        os.killpg(self.process.pid, sig)


@dataclass
class Cluster:
    """The deployment, and the database as the tests read it."""

    folder: Path
    database_url: str
    env: dict[str, str]
    proxy: Proxy
    server: Server
    store: SqlAuditStore
    dispatch: DispatchStore
    workers: list[Worker] = field(default_factory=list)

    def start_worker(self, *, concurrency: int = 1, **settings: str) -> Worker:
        """Start a worker and wait until its pool is ready."""
        n = len(self.workers)
        log = self.folder / f"worker-{n}.log"
        env = {**self.env, **{f"AUDITGRAPH_{k.upper()}": v for k, v in settings.items()}}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "auditgraph.service",
                "worker",
                f"--concurrency={concurrency}",
                f"--name=w{n}@test",
            ],
            cwd=self.folder,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = Worker(process, log)
        self.workers.append(worker)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while "worker ready" not in worker.text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start ({process.poll()}):\n{worker.text()[-3000:]}")
            time.sleep(0.1)
        return worker

    def stop_worker(self, worker: Worker, sig: int = signal.SIGTERM) -> None:
        """Stop a worker (SIGTERM: warm shutdown; SIGKILL: it dies where it stands)."""
        if worker.process.poll() is None:
            worker.signal(sig)
            try:
                worker.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.signal(signal.SIGKILL)
                worker.process.wait()
        # Children of a killed worker die with their group.
        with contextlib.suppress(ProcessLookupError):
            worker.signal(signal.SIGKILL)

    def stop_all(self) -> None:
        """Stop every worker still running (a test that failed midway leaves some)."""
        for worker in self.workers:
            if worker.process.poll() is None:
                self.stop_worker(worker, signal.SIGKILL)

    def submit(self, case: dict[str, Any]) -> str:
        """Submit a case through the API (ops token); its run id."""
        with self.server.client("ops") as client:
            response = client.post("/v1/cases", json=case)
        assert response.status_code == 202, (response.status_code, response.text[:500])
        return str(response.json()["run"]["run_id"])

    def wait_settled(
        self,
        run_ids: list[str],
        *,
        timeout: float = 90.0,
        into: tuple[str, ...] = ("awaiting_review", "completed", "failed"),
    ) -> None:
        """Wait until every run of `run_ids` is in a status of `into` (by default: not running)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self.store.get_run(r).status in into for r in run_ids):
                return
            time.sleep(0.2)
        running = [r for r in run_ids if self.store.get_run(r).status not in into]
        logs = "\n".join(w.text()[-2000:] for w in self.workers)
        raise AssertionError(
            f"{len(running)} run(s) still running after {timeout:.0f} s: {running[:5]}\n{logs}"
        )

    def assert_once(self, run_id: str) -> None:
        """The run's record is whole and nothing in it happened twice: one trace step per
        node, at most one escalation and one decision, and it verifies."""
        steps = self.store.steps(run_id)
        # `await_review` records its pause, and once more when a review resumes it.
        nodes = [s.node for s in steps if s.kind == "node" and s.node != "await_review"]
        assert len(nodes) == len(set(nodes)), f"a node's steps were written twice: {sorted(nodes)}"
        assert sum(s.node == "await_review" and s.kind == "node" for s in steps) <= 2
        tools = [s.node for s in steps if s.kind == "tool"]
        assert len(tools) == len(set(tools)), f"a tool's steps were written twice: {sorted(tools)}"
        assert len(self.store.decisions(run_id)) <= 1
        assert [s.seq for s in steps] == list(range(1, len(steps) + 1))
        [check] = verify_store(self.store, run_id=run_id)
        assert check.ok, check.problems


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The deployment for one test module; everything it made is removed afterwards."""
    _require_broker()
    schema = f"ag_workers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        admin.dispose()
        postgres_unreachable(exc)
    folder = tmp_path_factory.mktemp("workers")
    database_url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    queue = f"auditgraph.test.{schema}"
    settings = {
        "AUDITGRAPH_DATABASE_URL": database_url,
        "AUDITGRAPH_WORKER_QUEUE": queue,
        "AUDITGRAPH_WORKER_LEASE_SECONDS": str(LEASE_S),
        "AUDITGRAPH_WORKER_SWEEP_SECONDS": "1",
        "AUDITGRAPH_WORKER_REQUEUE_AFTER_SECONDS": "2",
        "AUDITGRAPH_WORKER_MAX_ATTEMPTS": "3",
        "AUDITGRAPH_SCREEN_EMBEDDER": "none",
        "AUDITGRAPH_IMAGE_TEXT": "none",
    }
    env = {**os.environ, **settings, "AUDITGRAPH_BROKER_URL": f"amqp://guest:guest@{BROKER[0]}:{BROKER[1]}//"}
    proxy = Proxy(BROKER)
    proxy.up()
    server = start_server(
        folder,
        database_url,
        **{
            k.removeprefix("AUDITGRAPH_").lower(): v
            for k, v in settings.items()
            if k != "AUDITGRAPH_DATABASE_URL"
        },
        broker_url=f"amqp://guest:guest@127.0.0.1:{proxy.port}//",
    )
    engine = make_engine(database_url)
    built = Cluster(folder, database_url, env, proxy, server, SqlAuditStore(engine), DispatchStore(engine))
    try:
        yield built
    finally:
        built.stop_all()
        stop_server(server)
        proxy.down()
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
        _delete_queue(queue)


@pytest.fixture(autouse=True)
def _each_test_starts_its_own_workers(request: pytest.FixtureRequest) -> Iterator[None]:
    """No worker outlives the test that started it, even one that failed midway; the
    broker is back for the next test."""
    yield
    if "cluster" in request.fixturenames:
        cluster: Cluster = request.getfixturevalue("cluster")
        cluster.stop_all()
        if not cluster.proxy.is_up:
            cluster.proxy.up()


def _require_broker() -> None:
    """Skip without RabbitMQ on 127.0.0.1:5672, unless AUDITGRAPH_REQUIRE_BROKER=1 (`.ci/run`
    sets it), which makes its absence a failure."""
    try:
        socket.create_connection(BROKER, timeout=2).close()
    except OSError as exc:
        message = f"RabbitMQ is not reachable at {BROKER[0]}:{BROKER[1]} ({exc}); `.ci/run` starts it"
        if os.environ.get("AUDITGRAPH_REQUIRE_BROKER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _delete_queue(queue: str) -> None:
    """Remove the module's queue from the broker (it is durable)."""
    from kombu import Connection

    try:
        with Connection(f"amqp://guest:guest@{BROKER[0]}:{BROKER[1]}//", connect_timeout=3) as conn:
            conn.default_channel.queue_delete(queue)
    except Exception:  # the broker tidies nothing else up for us either; not a test failure
        pass
