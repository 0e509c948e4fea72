"""The trace contract: the names and shapes the graph's nodes write and crash recovery reads.

A run killed after a node's trace committed and before its checkpoint was saved is
finished from what that trace holds (`workflows.recovery`), and erasure keeps the steps
that hold the decision and the review (`workflows.erasure`). The writers (`graph`,
`nodes`, `tracing`) and the readers share these names and models instead of matching
strings, so what a reader parses is what the node wrote.

Every value here is in stored traces and covered by their hash chains: add to it, never
rename. The step kinds themselves are `store.records.StepKind`.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditgraph.store.records import (
    DecidedBy,
    DecisionRecord,
    FinalDecision,
    ReviewRecord,
    StepKind,
    TraceStep,
)

__all__ = [
    "ADJUDICATOR",
    "RECOVER",
    "REVIEWER",
    "FinalizeOutput",
    "Kind",
    "Node",
    "RecoveryOutput",
    "RecoverySource",
    "ReviewStepOutput",
    "last_node_step",
    "recorded_guard",
    "recorded_review",
    "recorded_tool_outputs",
    "recorded_verdict",
]


class Node:
    """The graph's node names, each also the `node` of the step its trace writes.

    The evidence tool nodes are named in `nodes.TOOL_NODES`.
    """

    INTAKE: Final = "intake"
    PLAN: Final = "plan"
    ADJUDICATE: Final = "adjudicate"
    GUARD: Final = "guard"
    ESCALATE: Final = "escalate"
    AWAIT_REVIEW: Final = "await_review"
    FINALIZE: Final = "finalize"


class Kind:
    """The step kinds the contract relies on (values of `StepKind`)."""

    NODE: Final[StepKind] = "node"
    """A graph node's own step; the steps that ran inside it name it as their parent."""
    INTERRUPT: Final[StepKind] = "interrupt"
    """A pause for review, or (with agent `REVIEWER`) the review it was resumed with."""
    RECOVERY: Final[StepKind] = "recovery"
    """Appended by recovery: what a killed run was resumed from."""


REVIEWER: Final = "reviewer"
"""The `agent` of the interrupt step that holds a reviewer's whole `ReviewRecord`."""

ADJUDICATOR: Final = "adjudicator"
"""The `node` of the model step inside `adjudicate` that holds the whole verdict."""

RECOVER: Final = "recover"
"""The `node` of a recovery step; no graph node has this name."""

RecoverySource = Literal["recorded decision", "checkpoint", "stored case"]
"""What a killed run was resumed from: a decision its trace held, its last checkpoint, or
its stored case audited again."""


class _Output(BaseModel):
    # Frozen and closed: a step that carries anything else is not one the writer made.
    model_config = ConfigDict(frozen=True, extra="forbid")


class FinalizeOutput(_Output):
    """What a `finalize` node step writes: the decision, and the whole record it made.

    The record rides in the chained step so that `trace verify` can tell if the decision
    table is edited later, and so that recovery can close a run on it.
    """

    decision: FinalDecision
    decided_by: DecidedBy
    clause_ids: list[str]
    record: DecisionRecord

    @classmethod
    def from_step(cls, step: TraceStep) -> FinalizeOutput | None:
        """The output of a completed `finalize` node step; None for any other step.

        A `finalize` that failed, or whose output does not parse, decided nothing.
        """
        if step.kind != Kind.NODE or step.node != Node.FINALIZE or step.error or not step.output:
            return None
        try:
            return cls.model_validate(step.output)
        except ValidationError:
            return None


class ReviewStepOutput(_Output):
    """What a reviewed `await_review` node step writes; its `REVIEWER` child holds the record."""

    decision: FinalDecision
    reviewer: str


class RecoveryOutput(_Output):
    """What a recovery step writes: what the run resumed from, and where it stood."""

    model_config = ConfigDict(populate_by_name=True)

    source: RecoverySource = Field(alias="from")
    steps_kept: int
    """How many steps of the killed run's trace were kept (all of them: the trace is append-only)."""
    pending: list[str]
    """The graph nodes still to run when resumed from a checkpoint."""
    agent: str
    """The kind of agent that finishes the run."""

    def as_output(self) -> dict[str, Any]:
        """The step's output as stored, under `from` (a Python keyword, hence the alias)."""
        return self.model_dump(mode="json", by_alias=True)


def last_node_step(steps: list[TraceStep]) -> TraceStep | None:
    """The last graph node step in `steps` (recovery and erasure steps are not nodes)."""
    return next((s for s in reversed(steps) if s.kind == Kind.NODE), None)


def recorded_review(steps: list[TraceStep], node_step: TraceStep) -> ReviewRecord | None:
    """The review the `await_review` step `node_step` was resumed with, if its trace holds it."""
    if node_step.kind != Kind.NODE or node_step.node != Node.AWAIT_REVIEW:
        return None
    held = [
        s
        for s in steps
        if s.parent_id == node_step.id and s.kind == Kind.INTERRUPT and s.agent == REVIEWER and s.output
    ]
    if not held:
        return None
    try:
        return ReviewRecord.model_validate(held[-1].output)
    except ValidationError:
        return None


def recorded_verdict(steps: list[TraceStep]) -> dict[str, Any] | None:
    """The verdict of the run's last adjudication, as the adjudicator's model step holds it."""
    return next(
        (
            s.output
            for s in reversed(steps)
            if s.kind == "model" and s.node == ADJUDICATOR and not s.error and s.output
        ),
        None,
    )


def recorded_guard(steps: list[TraceStep]) -> dict[str, Any] | None:
    """What the guard made of the run's last verdict, as its guard step holds it."""
    return next((s.output for s in reversed(steps) if s.kind == "guard" and s.output), None)


def recorded_tool_outputs(steps: list[TraceStep], tool: str) -> list[dict[str, Any]]:
    """What the tool `tool` returned in the run, each call's output in order."""
    return [s.output for s in steps if s.kind == "tool" and s.node == tool and isinstance(s.output, dict)]
