"""An in-memory audit store: complete, for tests and throwaway runs."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

from auditgraph.store.base import ReviewConflict, RunNotFound, StoreError
from auditgraph.store.chain import start_step
from auditgraph.store.records import (
    DecisionRecord,
    EscalationRecord,
    ReviewRecord,
    RunRecord,
    RunStatus,
    StepKind,
    TraceStep,
    utcnow,
)
from auditgraph.store.search import RunCursor, RunFilter, matches

__all__ = ["MemoryAuditStore"]


class MemoryAuditStore:
    """Keeps every record in dicts guarded by one lock; satisfies `AuditStore`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, RunRecord] = {}
        self._cases: dict[str, dict] = {}
        self._steps: dict[str, list[TraceStep]] = defaultdict(list)
        self._escalations: dict[str, EscalationRecord] = {}
        self._reviews: dict[str, list[ReviewRecord]] = defaultdict(list)
        self._decisions: dict[str, list[DecisionRecord]] = defaultdict(list)

    def start_run(self, run: RunRecord, case: dict, *, queued: bool = False) -> TraceStep:
        """Record a new run, the case it audits and its start record; return the record."""
        if queued:
            raise StoreError("runs are queued for workers in a SQL database, not in memory")
        first = start_step(run, case)
        with self._lock:
            self._runs[run.run_id] = run.model_copy(update={"head_hash": first.hash})
            self._cases[run.run_id] = case
            self._steps[run.run_id].append(first)
        return first

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        *,
        decision: DecisionRecord | None = None,
        error: str | None = None,
        steps: list[TraceStep] | None = None,
        head_hash: str | None = None,
    ) -> None:
        """Set a run's status and error; append its decision record and last steps."""
        with self._lock:
            run = self._get(run_id)
            self._steps[run_id].extend(steps or [])
            if decision is not None:
                self._decisions[run_id].append(decision)
            ended = None if status == "running" else utcnow()
            self._runs[run_id] = run.model_copy(
                update={
                    "status": status,
                    "decision": decision.decision if decision else None,
                    "error": error,
                    "ended": ended,
                    "head_hash": head_hash if head_hash is not None else run.head_hash,
                }
            )

    def record_steps(self, steps: list[TraceStep]) -> None:
        """Append trace steps."""
        with self._lock:
            for step in steps:
                self._steps[step.run_id].append(step)

    def open_escalation(self, escalation: EscalationRecord) -> EscalationRecord:
        """Open an escalation for its run, or return the one already there."""
        with self._lock:
            return self._escalations.setdefault(escalation.run_id, escalation)

    def record_review(self, review: ReviewRecord, *, queued: bool = False) -> None:
        """Claim the run's open escalation and append the review, atomically."""
        if queued:
            raise StoreError("runs are queued for workers in a SQL database, not in memory")
        with self._lock:
            escalation = self._escalations.get(review.run_id)
            if escalation is None or escalation.status != "open":
                earlier = self._reviews.get(review.run_id) or [None]
                raise ReviewConflict(review.run_id, earlier[0])
            self._escalations[review.run_id] = escalation.model_copy(update={"status": "resolved"})
            self._reviews[review.run_id].append(review)

    def start_applying_review(self, run_id: str) -> bool:
        """Mark the run running if it is awaiting review; True if this call did."""
        with self._lock:
            run = self._get(run_id)
            if run.status != "awaiting_review":
                return False
            self._runs[run_id] = run.model_copy(update={"status": "running"})
            return True

    def record_decision(self, decision: DecisionRecord) -> None:
        """Append a decision record."""
        with self._lock:
            self._decisions[decision.run_id].append(decision)

    def erase(
        self,
        run_id: str,
        *,
        case: dict | None,
        contents: dict[str, dict[str, Any]],
        record: TraceStep,
    ) -> None:
        """Replace erased content, keep the erasure record as the run's new head."""
        with self._lock:
            run = self._get(run_id)
            self._steps[run_id] = [
                s.model_copy(update=contents[s.id]) if s.id in contents else s for s in self._steps[run_id]
            ] + [record]
            self._cases[run_id] = case  # type: ignore[assignment]
            self._runs[run_id] = run.model_copy(update={"head_hash": record.hash})

    def purge_erased(self) -> None:
        """Nothing to do: erased content is not kept anywhere else in memory."""

    def runs_of_seller(self, seller_id: str) -> list[RunRecord]:
        """Every run whose case names this seller, oldest first."""
        with self._lock:
            found = [
                self._runs[run_id]
                for run_id, case in self._cases.items()
                if (case or {}).get("listing", {}).get("seller_id") == seller_id
            ]
        return sorted(found, key=lambda r: r.started)

    def search_runs(
        self, filters: RunFilter, *, limit: int, after: RunCursor | None = None
    ) -> list[RunRecord]:
        """Up to `limit` runs matching `filters`, newest first, strictly after `after`."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1 (got {limit!r})")
        with self._lock:
            found = [
                run
                for run in self._runs.values()
                if matches(
                    filters,
                    run,
                    case=self._cases.get(run.run_id),
                    escalation=self._escalations.get(run.run_id),
                    decisions=self._decisions.get(run.run_id, []),
                    reviews=self._reviews.get(run.run_id, []),
                )
            ]
        found.sort(key=lambda run: (run.started, run.run_id), reverse=True)
        if after is not None:
            found = [run for run in found if (run.started, run.run_id) < (after.started, after.run_id)]
        return found[:limit]

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id."""
        with self._lock:
            return self._get(run_id)

    def get_case(self, run_id: str) -> dict | None:
        """The case a run audited."""
        return self._cases.get(run_id)

    def list_runs(self, *, limit: int = 50, status: RunStatus | None = None) -> list[RunRecord]:
        """The newest runs first."""
        with self._lock:
            runs = [r for r in self._runs.values() if status is None or r.status == status]
        return sorted(runs, key=lambda r: r.started, reverse=True)[:limit]

    def steps(self, run_id: str, *, kinds: tuple[StepKind, ...] | None = None) -> list[TraceStep]:
        """A run's trace, in order; with `kinds`, only its steps of those kinds."""
        found = sorted(self._steps.get(run_id, []), key=lambda s: s.seq)
        return found if kinds is None else [s for s in found if s.kind in kinds]

    def escalation(self, run_id: str) -> EscalationRecord | None:
        """The run's escalation, if any."""
        return self._escalations.get(run_id)

    def open_escalations(self, *, queue: str | None = None) -> list[EscalationRecord]:
        """Open escalations: most urgent first, then riskiest, then oldest."""
        with self._lock:
            found = [
                e
                for e in self._escalations.values()
                if e.status == "open" and (queue is None or e.queue == queue)
            ]
        return sorted(
            found, key=lambda e: (e.priority, -(e.risk if e.risk is not None else -1.0), e.opened_at)
        )

    def reviews(self, run_id: str) -> list[ReviewRecord]:
        """The run's reviews, oldest first."""
        return list(self._reviews.get(run_id, []))

    def decisions(self, run_id: str) -> list[DecisionRecord]:
        """The run's decision records, oldest first."""
        return list(self._decisions.get(run_id, []))

    def _get(self, run_id: str) -> RunRecord:
        try:
            return self._runs[run_id]
        except KeyError:
            raise RunNotFound(f"no run {run_id!r}; list runs with `auditgraph runs`") from None
