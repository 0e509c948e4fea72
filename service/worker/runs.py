"""What a worker does with one announced run: claim, drive under a fenced lease, finish.

`RunWorker.process(run_id)`:

1. claims the run in one statement (`DispatchStore.claim`); nothing to claim (another
   worker holds it, it is done, or the announcement was a duplicate) ends the task;
2. past `worker_max_attempts` claims, closes the run as failed with its last error and
   stops: a run that kills its worker every time (a poison case) ends visible as failed,
   never retried forever;
3. otherwise renews the lease from a heartbeat thread and drives the run
   (`Auditor.advance`) with every write fenced to this claim: a new run from its stored
   case; a retried one from its checkpoint and trace (`Auditor.recover`, which never
   repeats a recorded step, escalation, decision or review); a recorded review applied;
4. marks the run done (paused for review, or ended), or failed with the error that
   failed it; a database error gives the run back to the queue to be tried again.

A worker that lost its lease (it stalled past it and another took over) writes nothing
more and leaves the run to its new holder.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from auditgraph.service.dispatcher import Dispatcher
from auditgraph.service.settings import Settings
from auditgraph.store.base import RunNotFound
from auditgraph.store.dispatch import Claim, DispatchStore, LeaseLost, fenced
from auditgraph.store.errors import describe_database_error, is_database_error
from auditgraph.tools.retry import first_line
from auditgraph.workflows import AuditFailed, Auditor
from auditgraph.workflows.runner import ReviewError

__all__ = ["Outcome", "RunWorker", "worker_name"]

log = logging.getLogger("auditgraph.worker")

Outcome = Literal["skipped", "done", "failed", "released", "lost"]
"""What one task did: nothing to claim; advanced the run; closed it failed; gave it back
to the queue after an error worth retrying; lost its lease to another worker."""


def worker_name() -> str:
    """This process's name in leases: host, process id and a random suffix (a restarted
    process with a recycled pid is still another holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _said(exc: BaseException) -> str:
    """An error in words for the log and the dispatch row: a database error without its
    statement or values (they carry the case), anything else by its first line."""
    cause: BaseException | None = exc
    for _ in range(20):
        if cause is None:
            break
        if is_database_error(cause):
            return f"{type(exc).__name__}: {describe_database_error(cause)}"
        cause = cause.__cause__ or cause.__context__
    return f"{type(exc).__name__}: {first_line(exc, 500)}"


def _lost(exc: BaseException | None) -> bool:
    """Whether `exc` or anything it was raised from is a lost lease."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, LeaseLost):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


@dataclass
class _Heartbeat:
    """Renews a claim's lease every `every` seconds until stopped; notes a lost lease."""

    store: DispatchStore
    claim: Claim
    lease: timedelta
    every: float

    def __post_init__(self) -> None:
        self.stop = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{self.claim.run_id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                if not self.store.heartbeat(self.claim.fence, lease=self.lease):
                    self.lost.set()
                    log.warning("run %s: lease lost to another worker", self.claim.run_id)
                    return
            except Exception as exc:  # a database blip: the next beat tries again
                log.warning("run %s: lease renewal failed: %s", self.claim.run_id, exc)

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=5)


class RunWorker:
    """Processes announced runs with one auditor (one per worker process)."""

    def __init__(
        self, settings: Settings, auditor: Auditor, dispatcher: Dispatcher, *, name: str | None = None
    ) -> None:
        self.settings = settings
        self.auditor = auditor
        self.dispatcher = dispatcher
        self.dispatch = dispatcher.store
        self.name = name or worker_name()
        self.lease = timedelta(seconds=settings.worker_lease_seconds)

    def process(self, run_id: str) -> Outcome:
        """Claim `run_id` and advance it as far as it goes (see the module)."""
        claim = self.dispatch.claim(run_id, self.name, lease=self.lease)
        if claim is None:
            return "skipped"
        with fenced(claim.fence):
            try:
                if claim.attempt > 1 and not self.auditor.has_work(run_id):
                    # The last holder finished the run and died before saying so.
                    self.dispatch.finish(claim.fence, "done")
                    return "done"
            except RunNotFound as exc:
                self.dispatch.finish(claim.fence, "failed", error=str(exc))
                return "failed"
            if claim.attempt > self.settings.worker_max_attempts:
                reason = (
                    f"gave up after {claim.attempt - 1} attempt(s), the most a run gets "
                    f"(AUDITGRAPH_WORKER_MAX_ATTEMPTS); last error: {claim.last_error or 'its worker stopped'}"
                )
                return self._give_up(claim, reason)
            beat = _Heartbeat(self.dispatch, claim, self.lease, self.settings.heartbeat_seconds())
            try:
                return self._advance(claim)
            finally:
                beat.close()

    def _advance(self, claim: Claim) -> Outcome:
        run_id = claim.run_id
        try:
            outcome = self.auditor.advance(run_id, retry=claim.attempt > 1)
        except Exception as exc:
            if _lost(exc):
                log.warning("run %s: another worker took it over; this attempt stops", run_id)
                return "lost"
            if isinstance(exc, AuditFailed):
                # Recorded as failed by the auditor, with its error: nothing decided.
                self.dispatch.finish(claim.fence, "failed", error=str(exc))
                return "failed"
            if isinstance(exc, RunNotFound):
                self.dispatch.finish(claim.fence, "failed", error=str(exc))
                return "failed"
            if isinstance(exc, ReviewError):
                return self._give_up(claim, str(exc))
            return self._release(claim, exc)
        self.dispatch.finish(claim.fence, "done")
        paused = outcome is not None and outcome.status == "awaiting_review"
        # A review recorded while this worker held the run: queue it again to apply it.
        if paused and self.auditor.recorded_review(run_id) and self.dispatch.enqueue(run_id):
            self.dispatcher.ring(run_id)
        return "done"

    def _release(self, claim: Claim, exc: Exception) -> Outcome:
        """Give the run back after an error a later attempt may not repeat (the database
        went away, a write was refused); announce it again after a pause."""
        error = _said(exc)
        log.warning("run %s attempt %d: %s; queued again", claim.run_id, claim.attempt, error)
        try:
            released = self.dispatch.release(claim.fence, error=error)
        except Exception as again:  # the database is down: the lease expires, the sweep finds it
            log.warning(
                "run %s: could not give it back (%s); its lease will expire", claim.run_id, _said(again)
            )
            return "released"
        if released:
            self.dispatcher.ring(claim.run_id, countdown=min(60.0, 2.0**claim.attempt))
        return "released"

    def _give_up(self, claim: Claim, reason: str) -> Outcome:
        """Close the run as failed with `reason` (nothing decided) and stop trying it."""
        try:
            self.auditor.give_up(claim.run_id, reason)
        except Exception as exc:
            if _lost(exc):
                return "lost"
            log.error("run %s: could not record it as failed: %s", claim.run_id, _said(exc))
            return self._release(claim, exc)
        self.dispatch.finish(claim.fence, "failed", error=reason)
        log.error("run %s failed: %s", claim.run_id, reason)
        return "failed"
