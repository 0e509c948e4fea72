"""The audit record's vocabulary: runs, trace steps, escalations, reviews, decisions.

Plain pydantic models, shared by every store implementation. Records are append-only:
a reviewer's override is a new `ReviewRecord` and a new `DecisionRecord`, never an edit
of the agent's.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DecidedBy",
    "Decision",
    "DecisionRecord",
    "EscalationRecord",
    "FinalDecision",
    "ReviewRecord",
    "RunRecord",
    "RunStatus",
    "StepKind",
    "TraceStep",
    "as_utc",
    "new_id",
    "utcnow",
]

Decision = Literal["approve", "reject", "restrict", "escalate"]
FinalDecision = Literal["approve", "reject", "restrict"]
DecidedBy = Literal["agent", "reviewer"]
RunStatus = Literal["running", "awaiting_review", "completed", "failed"]
StepKind = Literal["start", "node", "tool", "model", "guard", "interrupt", "erasure", "recovery", "hold"]


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


_T = TypeVar("_T")


def as_utc(value: _T) -> _T:
    """`value` with UTC attached if it is a naive datetime, else `value` unchanged.

    SQLite hands back naive datetimes; every time the store writes is UTC.
    """
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # type: ignore[return-value]
    return value


def new_id(prefix: str) -> str:
    """A short unique id such as `run_3f2a9c1e0b7d4e5f`."""
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TraceStep(_Record):
    """One step of a run: its start (which commits the digest of the case it audits), a
    node, a tool call, a decider's call, a guard check, an interrupt, the record of an
    erasure of personal data from the run, of its recovery after its process died, or of
    a legal hold set on or released from its case.

    `id`, `started` and `ended` fill themselves in. `input` and `output` are JSON
    objects; with sensitive data switched off they hold no raw evidence text.
    """

    id: str = Field(default_factory=lambda: new_id("step"))
    run_id: str
    case_id: str
    seq: int = 0
    """Order within the run, assigned when the step is recorded."""
    parent_id: str | None = None
    """The node step this tool, model or guard step ran inside."""
    node: str
    kind: StepKind
    started: datetime = Field(default_factory=utcnow)
    ended: datetime = Field(default_factory=utcnow)
    attempt: int = 1
    input: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    error: str | None = None
    agent: str | None = None
    """Which decider ran, e.g. "rules" or "llm"."""
    model: str | None = None
    prompt_version: str | None = None
    policy_version: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    prev_hash: str = ""
    """The hash of the run's previous step ("" for the first): the chain link."""
    hash: str = ""
    """SHA-256 of `prev_hash` and this step's canonical JSON (see `store.chain`)."""

    @property
    def duration_ms(self) -> float:
        """Wall time of the step in milliseconds."""
        return (self.ended - self.started).total_seconds() * 1000


class RunRecord(_Record):
    """One audit of one case."""

    run_id: str
    case_id: str
    case_kind: str
    status: RunStatus = "running"
    agent: str
    agent_version: str
    policy_version: str
    started: datetime = Field(default_factory=utcnow)
    ended: datetime | None = None
    decision: FinalDecision | None = None
    """The final decision, once there is one."""
    error: str | None = None
    head_hash: str | None = None
    """The hash of the run's last step when it paused or finished (the chain's head)."""


class EscalationRecord(_Record):
    """A case handed to a human: which queue, how urgent, and why."""

    escalation_id: str = Field(default_factory=lambda: new_id("esc"))
    run_id: str
    case_id: str
    queue: str
    priority: int = Field(ge=1, le=4)
    """1 is the most urgent."""
    reasons: list[str]
    areas: list[str] = Field(default_factory=list)
    agent_decision: Decision
    """What the agent would have decided; "escalate" when it did not decide."""
    risk: float | None = Field(default=None, ge=0, le=1)
    """Probability that the case violates a policy, when known: ranks a queue within a priority."""
    status: Literal["open", "resolved"] = "open"
    opened_at: datetime = Field(default_factory=utcnow)


class ReviewRecord(_Record):
    """A reviewer's decision on an escalated run."""

    review_id: str = Field(default_factory=lambda: new_id("rev"))
    run_id: str
    escalation_id: str
    reviewer: str
    decision: FinalDecision
    reason: str
    clause_ids: list[str] = Field(default_factory=list)
    agent_decision: Decision
    overrode_agent: bool
    """True when the agent had decided and the reviewer decided otherwise."""
    created_at: datetime = Field(default_factory=utcnow)
    reviewer_role: str | None = None
    """The role the reviewer acted in (the role of the token a door authenticated), if known."""
    review_digest: str | None = None
    """The digest of the run as the reviewer was shown it (`store.chain.review_digest`), if
    they sent one: what the review was a decision on."""


class DecisionRecord(_Record):
    """The outcome of a run, with its grounds."""

    run_id: str
    case_id: str
    decision: FinalDecision
    decided_by: DecidedBy
    clause_ids: list[str]
    confidence: float | None
    rationale: str
    statement_of_reasons: str | None = None
    """For a reject or restrict: the statement the seller receives."""
    created_at: datetime = Field(default_factory=utcnow)
