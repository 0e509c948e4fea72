"""The API's request and response bodies, as the OpenAPI document publishes them.

Records (runs, steps, escalations, reviews, decisions) are the store's own models, so
the API says exactly what the record holds; the reviewer's identity is never a field a
client sends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from auditgraph.store.records import DecisionRecord, EscalationRecord, ReviewRecord, RunRecord, TraceStep

__all__ = [
    "Escalations",
    "KpiReport",
    "ReviewRequest",
    "RunDetail",
    "RunPage",
    "Trace",
    "TraceClauses",
    "Verification",
]

Digest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
ClauseId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class Dispatch(BaseModel):
    """Where a run handed to the workers stands in their queue."""

    state: Literal["queued", "leased", "done", "failed"] = Field(
        description="queued: waits for a worker; leased: a worker audits it; done: paused or ended; failed: given up."
    )
    attempts: int = Field(description="Workers that have claimed it so far.")
    lease_expires: datetime | None = Field(description="While leased: when the worker's lease runs out.")
    last_error: str | None = Field(description="The error that ended the last attempt, if one did.")


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
    dispatch: Dispatch | None = Field(
        default=None,
        description="With workers: the run's place in their queue; null for a run audited in a server.",
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


class KpiWindow(BaseModel):
    """The runs the figures are about: started in [since, until), in `area` when given."""

    since: str
    until: str
    as_of: str = Field(description="When the backlog (open escalations) was measured.")
    area: str | None


class KpiAutomation(BaseModel):
    """Runs decided without a person, of runs that reached a decision or a person."""

    automated: int = Field(description="Runs with a final decision and no escalation.")
    escalated: int = Field(description="Runs that opened an escalation.")
    reached: int = Field(description="automated + escalated.")
    rate: float | None = Field(description="automated / reached; null when reached is 0.")


class KpiCount(BaseModel):
    """Escalated runs in one queue, or giving one kind of reason."""

    name: str
    count: int
    rate: float | None = Field(description="count / automation.reached.")


class KpiEscalations(BaseModel):
    """Escalated runs, in all and by queue and by kind of reason (a run may give several)."""

    count: int
    rate: float | None = Field(description="count / automation.reached.")
    by_queue: list[KpiCount]
    by_reason: list[KpiCount]


class KpiAreaAgreement(BaseModel):
    """Reviews of one policy area's runs where the agent had proposed a decision."""

    area: str
    proposed: int
    agreed: int = Field(description="The reviewer decided as the agent proposed.")
    rate: float | None


class KpiReviews(BaseModel):
    """Runs reviewed by a person, and how often the person overrode the agent."""

    count: int
    proposed: int = Field(description="Reviewed runs whose agent had proposed a decision (not escalate).")
    overrides: int = Field(description="Of those, the reviewer decided otherwise.")
    override_rate: float | None = Field(description="overrides / proposed.")
    agreement_by_area: list[KpiAreaAgreement]


class KpiSpread(BaseModel):
    """A duration over runs, in seconds (median and 95th percentile, interpolated)."""

    count: int
    median_s: float | None
    p95_s: float | None


class KpiSla(BaseModel):
    """Escalations that waited their priority's SLA hours or more."""

    hours: dict[str, float] = Field(description="The SLA of each priority, in hours.")
    open_breaches: int = Field(description="Open escalations (the backlog) past their SLA now.")
    late_reviews: int = Field(description="Runs of the window reviewed after their SLA.")
    breaches: int


class KpiModel(BaseModel):
    """Decider model calls of the window's runs; 0 for the rules agent, which calls none."""

    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    calls_per_case: float | None
    tokens_per_case: float | None
    cost_per_case_usd: float | None


class KpiReport(BaseModel):
    """The moderation KPIs of a window (docs/operations.md defines each figure)."""

    window: KpiWindow
    cases: int = Field(description="Runs started in the window.")
    automation: KpiAutomation
    escalations: KpiEscalations
    reviews: KpiReviews
    time_to_decision: KpiSpread = Field(description="Run start to final decision, people's time included.")
    open_escalations: KpiSpread = Field(
        description="Age of each open escalation of a run started before `until` (the backlog)."
    )
    sla: KpiSla
    model: KpiModel
