"""What one server process holds for its requests: one auditor, the tokens, and two pools.

The auditor is built once, when the process starts (the CLI builds one per command and
pays ~2.5 s of imports and loading for it). Audits and reads run in worker threads, each
kind under its own limit, so a burst of slow cases never holds up a read, and neither
ever blocks the event loop that answers health checks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
from anyio import CapacityLimiter
from fastapi import Request

from auditgraph.service.api.metrics import ApiMetrics
from auditgraph.service.dispatcher import Dispatcher
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import audit_engine, open_auditor, trusted_keys, warm_auditor
from auditgraph.store import SqlAuditStore
from auditgraph.store.signing import TrustedKeys
from auditgraph.store.stats import ModelUsage, model_usage
from auditgraph.store.submissions import SubmissionStore
from auditgraph.store.tokens import TokenStore
from auditgraph.workflows import Auditor, RunOutcome
from auditgraph.workflows.nodes import ReviewInput

__all__ = ["ApiState", "api_state", "count_run", "open_state", "warm"]

log = logging.getLogger("auditgraph.api")

T = TypeVar("T")
NO_USAGE = ModelUsage(0, 0, 0, 0.0)


@dataclass
class ApiState:
    """The process's shared parts; one per app, built by its lifespan."""

    settings: Settings
    auditor: Auditor
    tokens: TokenStore
    submissions: SubmissionStore
    trusted: TrustedKeys
    metrics: ApiMetrics
    audits: CapacityLimiter
    reads: CapacityLimiter
    dispatcher: Dispatcher | None = None
    """With a broker: runs and reviews are queued for the workers instead of run here."""
    background: dict[str, Any] = field(default_factory=dict)
    """Audits this process is running, by run id: kept referenced until they end, and
    awaited by a retry of the same submission that asks to wait."""

    @property
    def store(self) -> SqlAuditStore:
        """The audit record."""
        return self.auditor.store  # type: ignore[return-value]

    async def read(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking read in the read pool."""
        return await anyio.to_thread.run_sync(function, *args, limiter=self.reads)

    async def audit(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking audit step in the audit pool."""
        return await anyio.to_thread.run_sync(function, *args, limiter=self.audits)

    def review(self, run_id: str, answer: ReviewInput) -> RunOutcome | None:
        """Record a review and resume the run (blocking: call it in the audit pool). With
        workers, the review is recorded with the run queued and a worker resumes it: None."""
        if self.dispatcher is None:
            return self.auditor.review(run_id, answer)
        self.auditor.queue_review(run_id, answer)
        self.dispatcher.ring(run_id)
        return None

    def count(self, run_id: str, outcome: RunOutcome | None) -> None:
        """Count a run this process audited or resumed in the metrics (see `count_run`)."""
        count_run(self, run_id, outcome)


def open_state(settings: Settings, resources: ExitStack) -> ApiState:
    """Open the auditor and the stores for `settings`; `resources` closes them."""
    auditor = resources.enter_context(open_auditor(settings))
    engine = audit_engine(auditor)
    return ApiState(
        settings=settings,
        auditor=auditor,
        tokens=TokenStore(engine),
        submissions=SubmissionStore(engine),
        trusted=trusted_keys(settings),
        metrics=ApiMetrics(engine),
        dispatcher=Dispatcher(settings, engine) if settings.broker_url else None,
        audits=CapacityLimiter(settings.audit_threads()),
        reads=CapacityLimiter(settings.api_read_threads),
    )


def count_run(state: ApiState, run_id: str, outcome: RunOutcome | None) -> None:
    """Count in the metrics a run this process audited or resumed, with its model calls,
    tokens and cost; `outcome` None for a run that failed."""
    # The rules agent calls no model: nothing to read.
    usage = NO_USAGE if state.auditor.agent.kind == "rules" else model_usage(state.store.engine, run_id)
    if outcome is None:
        state.metrics.observe_run("failed", None, usage)
    else:
        decision = outcome.decision.decision if outcome.decision else None
        state.metrics.observe_run(outcome.status, decision, usage)


def warm(state: ApiState) -> None:
    """Load what the first audit would otherwise load (`wiring.warm_auditor`)."""
    warm_auditor(state.auditor, state.settings)


def api_state(request: Request) -> ApiState:
    """The process's shared parts (a FastAPI dependency)."""
    return request.app.state.api  # type: ignore[no-any-return]
