"""What an adjudicator returns: a verdict grounded in cited clauses and named evidence."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from auditgraph.agents.calls import ModelCall
from auditgraph.store.records import Decision, FinalDecision
from auditgraph.tools.case import PolicyArea

__all__ = ["Verdict"]


class Verdict(BaseModel):
    """A decider's verdict on one case."""

    model_config = ConfigDict(frozen=True)

    decision: Decision
    """approve (the listing stands), reject (it is removed), restrict (it stays, limited),
    or escalate (a human must decide)."""
    clause_ids: list[str] = Field(default_factory=list)
    """Policy clauses the decision rests on; only ids that policy retrieval returned."""
    confidence: float = Field(ge=0, le=1)
    """How sure the decider is, from 0 to 1."""
    rationale: str = Field(min_length=1, max_length=4000)
    """A short explanation that names the evidence it relies on."""
    evidence_refs: list[str] = Field(default_factory=list)
    """Pointers into the evidence, e.g. "text_screen:listing.title:replica"."""
    areas: list[PolicyArea] = Field(default_factory=list)
    """Policy areas at stake, whether or not violated."""
    escalation_reasons: list[str] = Field(default_factory=list)
    """Why a human should look, when the decider would not decide alone."""
    model_calls: list[ModelCall] = Field(default_factory=list)
    """Each attempt at a model call made to decide (none for the rules adjudicator)."""
    proposed_decision: FinalDecision | None = None
    """When escalating although the evidence pointed one way: the decision the decider
    would have taken, so a reviewer's disagreement counts as an override."""
