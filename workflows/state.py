"""The graph's state: what flows between nodes, with reducers for parallel writes."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypedDict

from auditgraph.agents import Plan, ToolCall, Verdict
from auditgraph.store.records import DecisionRecord, EscalationRecord, ReviewRecord
from auditgraph.tools.case import AnyCase, Severity
from auditgraph.tools.evidence import Evidence

__all__ = [
    "AuditState",
    "GuardCheck",
    "GuardOutcome",
    "GuardRule",
    "InputState",
    "OutputState",
    "ToolTask",
    "merge_evidence",
]


def merge_evidence(
    left: dict[str, Evidence] | None, right: dict[str, Evidence] | None
) -> dict[str, Evidence]:
    """Reducer for `evidence`: parallel tool nodes each add their own key."""
    return {**(left or {}), **(right or {})}


GuardRule = Literal[
    "uncited_decision",
    "citation_not_retrieved",
    "approve_on_incomplete_evidence",
    "approve_contradicts_evidence",
    "approve_above_screen_threshold",
    "injection_attempt",
    "low_confidence_high_severity",
    "decider_escalated",
]
"""The guard's rules by name, as its checks and escalation reasons record them."""


class GuardCheck(BaseModel):
    """One non-negotiable rule and whether the verdict passed it."""

    model_config = ConfigDict(frozen=True)

    rule: GuardRule
    passed: bool
    detail: str = ""


class GuardOutcome(BaseModel):
    """What the guard made of a verdict."""

    model_config = ConfigDict(frozen=True)

    action: Literal["finalize", "escalate"]
    reasons: list[str]
    """Why the case goes to a human; empty when it is finalised."""
    severity: Severity | None
    """The highest severity at stake."""
    checks: list[GuardCheck]


class InputState(TypedDict):
    """What a caller passes in: the submitted case JSON and the run's id.

    The run id may be left out when the run has a thread: `intake` derives it from the
    thread id (`workflows.entry.run_id_for`) and every later node reads it from the state.
    """

    run_id: NotRequired[str]
    submission: dict[str, Any]


class AuditState(InputState, total=False):
    """Everything the nodes share during a run."""

    case: AnyCase
    plan: Plan
    evidence: Annotated[dict[str, Evidence], merge_evidence]
    verdict: Verdict
    guard: GuardOutcome
    escalation: EscalationRecord
    review: ReviewRecord
    decision: DecisionRecord


class OutputState(TypedDict, total=False):
    """What a caller gets back."""

    run_id: str
    verdict: Verdict
    guard: GuardOutcome
    escalation: EscalationRecord
    review: ReviewRecord
    decision: DecisionRecord


class ToolTask(TypedDict):
    """The input of one evidence tool node, sent by the plan router."""

    run_id: str
    case: AnyCase
    call: ToolCall
