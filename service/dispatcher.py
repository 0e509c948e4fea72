"""Handing runs to the workers: the database queues them, the broker rings the doorbell.

A door (the API, the console) records a run or a review with the run queued in the same
transaction (`store.dispatch`), then `ring`s: it publishes the run id to the broker
(Celery on RabbitMQ). Publishing is best effort and bounded in time: when the broker is
down the run stays queued in the database, nothing is lost, and a worker's `sweep`
rings for it later. A message is acknowledged as soon as a worker receives it (never
redelivered by the broker: no duplicate deliveries of long tasks, no poison loops, no
consumer timeouts); who runs what is decided by the claim in the database.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from celery import Celery
from sqlalchemy import Engine

from auditgraph.service.settings import Settings
from auditgraph.store.dispatch import DispatchStore

__all__ = ["ADVANCE_TASK", "Dispatcher", "make_celery"]

ADVANCE_TASK = "auditgraph.advance_run"
"""The one task: advance the run whose id it carries."""
BROKER_BACKOFF_SECONDS = 5.0
"""After a failed announcement, later ones are skipped (left to the sweep) this long: a
broker that is down costs one caller a connection attempt, not every caller."""

log = logging.getLogger("auditgraph.dispatch")


def make_celery(settings: Settings) -> Celery:
    """The Celery app on `settings.broker_url`: tasks acknowledged on receipt, one message
    fetched at a time per process, JSON only, and publishing that gives up in seconds."""
    if settings.broker_url is None:
        raise ValueError("no broker: set AUDITGRAPH_BROKER_URL, e.g. amqp://guest:guest@127.0.0.1:5672//")
    app = Celery("auditgraph", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=settings.worker_queue,
        task_acks_late=False,
        task_reject_on_worker_lost=False,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        task_publish_retry=False,
        broker_connection_timeout=2,
        # 0: a worker reconnects to a restarted broker for as long as it takes.
        broker_connection_max_retries=0,
        broker_connection_retry_on_startup=True,
        broker_heartbeat=30,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    return app


class Dispatcher:
    """Queues and announces runs for the workers of one deployment."""

    def __init__(self, settings: Settings, engine: Engine, *, celery: Celery | None = None) -> None:
        self.settings = settings
        self.celery = celery or make_celery(settings)
        self.store = DispatchStore(engine)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def ring(self, run_id: str, *, countdown: float | None = None) -> bool:
        """Announce `run_id` to the workers; False (logged) when the broker cannot be
        reached or failed moments ago: the run stays queued and the sweep announces it later."""
        if time.monotonic() < self._down_until:
            return False
        try:
            self.celery.send_task(
                ADVANCE_TASK,
                args=[run_id],
                queue=self.settings.worker_queue,
                countdown=countdown,
                retry=False,
            )
        except Exception as exc:  # any broker failure: the database still holds the run
            with self._lock:
                self._down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
            log.warning(
                "could not announce run %s to the broker (%s: %s); it stays queued and the sweep "
                "announces it; announcements pause for %.0f s",
                run_id,
                type(exc).__name__,
                exc,
                BROKER_BACKOFF_SECONDS,
            )
            return False
        return True

    def broker_problem(self) -> str | None:
        """Why the broker cannot be reached now, or None when it answers (for readiness)."""
        try:
            with self.celery.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            return f"the broker is unreachable: {type(exc).__name__}: {exc}"
        return None

    def sweep(self) -> int:
        """Announce again every run whose announcement was lost (queued too long) or whose
        worker died (lease expired); the number announced. On PostgreSQL one process sweeps
        at a time; an extra announcement is harmless (the claim decides)."""
        with self.store.engine.begin() as conn:
            if not self.store.try_sweep_lock(conn):
                return 0
            stale = self.store.stale(queued_for=timedelta(seconds=self.settings.worker_requeue_after_seconds))
            rung = sum(self.ring(run_id) for run_id in stale)
        if stale:
            log.info("sweep: announced %d of %d lost or abandoned runs again", rung, len(stale))
        return rung
