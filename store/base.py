"""The narrow interfaces the rest of the project writes and reads the audit record through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from auditgraph.store.records import (
    DecisionRecord,
    EscalationRecord,
    ReviewRecord,
    RunRecord,
    RunStatus,
    StepKind,
    TraceStep,
)

if TYPE_CHECKING:
    from auditgraph.store.search import RunCursor, RunFilter

__all__ = ["AuditStore", "ReviewConflict", "RunNotFound", "StoreError"]


class StoreError(RuntimeError):
    """The audit store could not do what was asked."""


class RunNotFound(StoreError):
    """No run has that id."""


class ReviewConflict(StoreError):
    """The escalation was already claimed by another review; `recorded` is that review."""

    def __init__(self, run_id: str, recorded: ReviewRecord | None) -> None:
        super().__init__(f"run {run_id!r} was already reviewed")
        self.run_id = run_id
        self.recorded = recorded


class AuditStore(Protocol):
    """Where runs, their trace and their outcome are kept.

    Contract for every implementation (in-memory, SQLite, PostgreSQL):
    - writes are append-only except a run's status fields, an escalation's status, and
      `erase`, which replaces content and leaves a chained record saying so;
    - `open_escalation` is idempotent per run: a second call returns the first record;
    - `record_steps` writes all the steps it is given or none of them;
    - reads return records in the order they happened (`seq` for steps);
    - unknown ids raise `RunNotFound` from `get_run`, and give None or [] elsewhere.
    """

    def start_run(self, run: RunRecord, case: dict, *, queued: bool = False) -> TraceStep:
        """Record a new run, the case it audits and its start record (`chain.start_step`:
        the case's digest, the run's first chained step), atomically; return that record.
        The run's next step is numbered 2 and chained after it. `queued`: queue it for the
        workers in the same transaction (`store.dispatch`; SQL stores only)."""
        ...

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
        """Set a run's status and error (`ended` unless it is running), in one transaction
        with its decision record and its last trace steps: a run is never marked finished
        without them. `head_hash` is the hash of the run's last step (its chain head).
        """
        ...

    def record_steps(self, steps: list[TraceStep]) -> None:
        """Append trace steps, atomically."""
        ...

    def open_escalation(self, escalation: EscalationRecord) -> EscalationRecord:
        """Open an escalation for its run, or return the one already open."""
        ...

    def record_review(self, review: ReviewRecord, *, queued: bool = False) -> None:
        """Claim the run's open escalation and append the review, atomically (`queued`: and
        queue the run for the workers, who apply it; SQL stores only).

        Raises:
            ReviewConflict: the escalation is not open (another review claimed it) or a
                review of it is already recorded; nothing was written.
        """
        ...

    def start_applying_review(self, run_id: str) -> bool:
        """Mark a run awaiting review as running, in one compare-and-set statement: of two
        processes about to apply the run's recorded review, exactly one gets True."""
        ...

    def record_decision(self, decision: DecisionRecord) -> None:
        """Append a decision record."""
        ...

    def erase(
        self,
        run_id: str,
        *,
        case: dict | None,
        contents: dict[str, dict[str, Any]],
        record: TraceStep,
    ) -> None:
        """Replace personal data in a finished run, in one transaction: the content fields
        (`input`, `output`, `error`) of the steps named in `contents` (by step id), the
        run's copy of its case, and append `record` (an "erasure" step listing the digests
        before and after) as the run's new head.
        """
        ...

    def purge_erased(self) -> None:
        """Leave no copy of erased content in the database's files, once an erasure (and
        the deletion of its checkpoints) has committed: a SQLite file's write-ahead log is
        checkpointed into the file and truncated (deleted content is zeroed by
        `secure_delete`, on for every connection)."""
        ...

    def runs_of_seller(self, seller_id: str) -> list[RunRecord]:
        """Every run whose case names this seller, oldest first."""
        ...

    def search_runs(
        self, filters: RunFilter, *, limit: int, after: RunCursor | None = None
    ) -> list[RunRecord]:
        """Up to `limit` runs matching `filters`, newest first (started, then run id, both
        descending), strictly after the cursor `after` when given (`store.search`).

        Raises:
            ValueError: `limit` is below 1.
        """
        ...

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id."""
        ...

    def get_case(self, run_id: str) -> dict | None:
        """The case a run audited, as it was submitted."""
        ...

    def list_runs(self, *, limit: int = 50, status: RunStatus | None = None) -> list[RunRecord]:
        """The newest runs first."""
        ...

    def steps(self, run_id: str, *, kinds: tuple[StepKind, ...] | None = None) -> list[TraceStep]:
        """A run's trace, in order; with `kinds`, only its steps of those kinds."""
        ...

    def escalation(self, run_id: str) -> EscalationRecord | None:
        """The run's escalation, if it has one."""
        ...

    def open_escalations(self, *, queue: str | None = None) -> list[EscalationRecord]:
        """Open escalations: most urgent first, then riskiest, then oldest."""
        ...

    def reviews(self, run_id: str) -> list[ReviewRecord]:
        """The run's reviews, oldest first."""
        ...

    def decisions(self, run_id: str) -> list[DecisionRecord]:
        """The run's decision records, oldest first (an override comes after the agent's)."""
        ...
