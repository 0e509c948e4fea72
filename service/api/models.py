"""The API's request and response bodies, as the OpenAPI document publishes them.

Records (runs, steps, escalations, reviews, decisions) are the store's own models, so
the API says exactly what the record holds; the reviewer's identity is never a field a
client sends.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from auditgraph.store.records import DecisionRecord, EscalationRecord, ReviewRecord, RunRecord, TraceStep

__all__ = [
    "Escalations",
    "ReviewRequest",
    "RunDetail",
    "RunPage",
    "Trace",
    "TraceClauses",
    "Verification",
]

Digest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
ClauseId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class RunDetail(BaseModel):
    """A run with what a caller needs to act on it."""

    run: RunRecord
    verdict: dict[str, Any] | None = Field(
        description="The decider's verdict as the trace holds it: decision, clause_ids, confidence, rationale."
    )
    guard: dict[str, Any] | None = Field(
        description="What the guard made of the verdict: action, reasons, checks."
    )
    escalation: EscalationRecord | None
    reviews: list[ReviewRecord]
    decision_record: DecisionRecord | None = Field(description="The final decision, once there is one.")
    review_digest: Digest | None = Field(
        description="While the run awaits review: send it back with the review, to show what was reviewed."
    )
    links: dict[str, str]


class RunPage(BaseModel):
    """A page of runs, newest first."""

    runs: list[RunRecord]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class TraceClauses(BaseModel):
    """The clauses the run's decisions cite, as the run's own policy pack words them."""

    policy_version: str
    found: dict[str, dict[str, Any]]
    problem: str | None


class Trace(BaseModel):
    """Every step of a run, and its records: what `auditgraph trace --json` prints."""

    run: RunRecord
    steps: list[TraceStep]
    escalation: EscalationRecord | None
    reviews: list[ReviewRecord]
    decisions: list[DecisionRecord]
    clauses: TraceClauses


class Verification(BaseModel):
    """What checking a run's hash chain, rows and signed log entry found."""

    run_id: str
    ok: bool
    steps: int
    head: str
    problems: list[str]
    signatures_checked: bool = Field(description="False when no public key is configured to check them.")


class Escalations(BaseModel):
    """Open escalations: most urgent first, then riskiest, then oldest."""

    escalations: list[EscalationRecord]


class ReviewRequest(BaseModel):
    """A reviewer's decision on an escalated run. The reviewer is the token's holder."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "restrict"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    clause_ids: Annotated[list[ClauseId], Field(max_length=20)] = Field(
        default_factory=list,
        description="The clauses a reject or restrict rests on; default: the agent's citations.",
    )
    review_digest: Digest = Field(
        description="The `review_digest` of the run as read (GET /v1/runs/{run_id})."
    )
