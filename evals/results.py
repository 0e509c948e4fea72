"""What one eval case produced in one trial, read back from the run and its trace."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CaseResult"]


class CaseResult(BaseModel):
    """One case, one trial."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    trial: int
    run_id: str | None
    """Open it with `auditgraph trace RUN_ID`."""
    status: str
    """completed, awaiting_review, failed."""
    decision: str | None
    """The outcome: the decision, "escalate" when it waits for a human, None on failure."""
    agent_decision: str | None = None
    """What the agent decided or would have decided, before the guard."""
    clause_ids: list[str] = Field(default_factory=list)
    escalation_reasons: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    """Evidence tools called, in trace order."""
    latency_ms: float = 0.0
    model_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None
    verdict_model_calls: int = 0
    """Model calls made to reach the verdict (adjudicate and repair; planning not counted)."""
    verdict_cost_usd: float | None = None
    error: str | None = None
    screen_violation: float | None = None
    """The risk screen's probability that the listing violates any area, when it answered."""
    screen_top_area: str | None = None
    """The risk screen's most likely area, when it answered."""
    queue: str | None = None
    """The human queue the case went to, when it was escalated."""
    priority: int | None = None
    """The escalation's priority, 1 the most urgent."""
    risk: float | None = None
    """The escalation's risk (probability of a violation), which ranks a queue within a priority."""

    @property
    def escalated(self) -> bool:
        """Whether the case went to a human."""
        return self.decision == "escalate"
