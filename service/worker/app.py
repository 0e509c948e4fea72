"""The Celery side of `auditgraph worker`: the task, each process's auditor, the sweep.

Each worker process (a Celery prefork child) opens its own auditor on first use, as the
API server does, and warms it when the process starts, so no run waits for the risk
screen or the OCR engine to load. The parent process runs the sweep every
`worker_sweep_seconds`: it announces again the runs whose announcement was lost or whose
worker died (`Dispatcher.sweep`), one process at a time on PostgreSQL.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import ExitStack
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_ready, worker_shutdown
from sqlalchemy import Engine

from auditgraph.service.dispatcher import ADVANCE_TASK, Dispatcher, make_celery
from auditgraph.service.retention import run_retention
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import audit_engine, open_auditor, warm_auditor
from auditgraph.service.worker.runs import RunWorker
from auditgraph.store import make_engine
from auditgraph.store.locks import try_hold, unhold

__all__ = ["worker_app"]

log = logging.getLogger("auditgraph.worker")

RETENTION_DELAY_SECONDS = 60.0
"""A worker's first retention pass waits this long after it starts."""
RETENTION_LOCK = "auditgraph.retention"


class _Process:
    """What one worker process holds: its auditor and run worker, opened on first use."""

    def __init__(self, settings: Settings, celery: Celery) -> None:
        self.settings = settings
        self.celery = celery
        self._lock = threading.Lock()
        self._resources: ExitStack | None = None
        self._worker: RunWorker | None = None
        self._pid = os.getpid()

    def worker(self) -> RunWorker:
        with self._lock:
            if self._worker is None or self._pid != os.getpid():
                # Opened in this process: nothing a forked child inherits is reused.
                self._pid = os.getpid()
                self._resources = ExitStack()
                auditor = self._resources.enter_context(open_auditor(self.settings))
                dispatcher = Dispatcher(self.settings, audit_engine(auditor), celery=self.celery)
                self._worker = RunWorker(self.settings, auditor, dispatcher)
            return self._worker

    def close(self) -> None:
        with self._lock:
            if self._resources is not None and self._pid == os.getpid():
                self._resources.close()
            self._resources, self._worker = None, None


class _Sweeper:
    """Runs the sweep in the parent process every `worker_sweep_seconds`, and retention every
    `retention_interval_hours` (a minute after start first)."""

    def __init__(self, settings: Settings, celery: Celery) -> None:
        self.settings = settings
        self.celery = celery
        self.stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="auditgraph-sweep", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        engine = make_engine(self.settings.database_url, pool_size=1, max_overflow=1)
        try:
            dispatcher = Dispatcher(self.settings, engine, celery=self.celery)
            retain_at = time.monotonic() + RETENTION_DELAY_SECONDS
            while True:
                try:
                    dispatcher.sweep()
                except Exception as exc:  # the database or broker is away: try at the next tick
                    log.warning("sweep failed: %s: %s", type(exc).__name__, exc)
                hours = self.settings.retention_interval_hours
                if hours and time.monotonic() >= retain_at:
                    retain_at = time.monotonic() + hours * 3600
                    self._retain(engine)
                if self.stop.wait(self.settings.worker_sweep_seconds):
                    return
        finally:
            engine.dispose()

    def _retain(self, engine: Engine) -> None:
        """One retention pass, unless another worker is running one (PostgreSQL)."""
        try:
            with engine.connect() as conn:
                if not try_hold(conn, RETENTION_LOCK):
                    return
                try:
                    report = run_retention(self.settings)
                finally:
                    unhold(conn, RETENTION_LOCK)
        except Exception as exc:  # reported, tried again at the next interval
            log.warning("retention failed: %s: %s", type(exc).__name__, exc)
            return
        log.info(
            "retention: %d run(s) deleted, checkpoints of %d run(s) pruned (%d removed), %d held case run(s) kept",
            len(report.deleted),
            len(report.pruned),
            report.checkpoints_removed,
            len(report.held),
        )


def worker_app(settings: Settings) -> Celery:
    """The Celery app a worker runs: the advance task, per-process auditors, the sweep."""
    celery = make_celery(settings)
    process = _Process(settings, celery)
    sweeper = _Sweeper(settings, celery)

    @celery.task(name=ADVANCE_TASK, ignore_result=True)
    def advance_run(run_id: Any) -> str:
        if not isinstance(run_id, str) or not run_id:
            log.warning("ignored an announcement without a run id: %r", run_id)
            return "skipped"
        outcome = process.worker().process(run_id)
        log.info("run %s: %s", run_id, outcome)
        return outcome

    @worker_process_init.connect(weak=False)
    def _child_started(**_: Any) -> None:
        warm_auditor(process.worker().auditor, settings)

    @worker_ready.connect(weak=False)
    def _ready(sender: Any = None, **_: Any) -> None:
        sweeper.start()
        log.info("worker ready: %s", getattr(sender, "hostname", "?"))

    @worker_shutdown.connect(weak=False)
    def _stopping(**_: Any) -> None:
        sweeper.stop.set()
        process.close()

    return celery
