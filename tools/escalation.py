"""Escalation: hand a case to the right human queue, with a priority and the reasons.

Routing follows the reasons first (an instruction aimed at the reviewer or an unknown
seller is a fraud signal), then the policy area a case touches (IP disputes to IP
specialists, regulated goods to the regulated-goods team, goods that may not be sold at
all to prohibited-goods, counterfeit money, forged papers, stolen goods, fraud services,
piracy and gift cards to fraud-and-ip, hate, harassment, violence and self-harm to
harmful-content, off-platform deals and pricing abuse to fraud).

Within a queue, cases are ranked by risk, so the top of every queue is where the
violations are: the expected harm is the probability of a violation (the risk screen's
calibrated probability, or the decider's confidence in a violation it proposed, raised
by the seller's strikes) times the weight of the severity at stake. Without a risk
figure, priority follows severity alone. The backend persists the escalation; opening
twice for one run returns the first.
"""

from __future__ import annotations

from typing import Protocol

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from auditgraph.store.records import Decision, EscalationRecord
from auditgraph.tools.case import PolicyArea, Severity

__all__ = [
    "QUEUES",
    "QUEUE_BY_AREA",
    "EscalationBackend",
    "EscalationInput",
    "MemoryEscalationBackend",
    "make_escalation_tool",
    "open_escalation",
    "route_escalation",
    "seller_risk",
]

# Goods that may be sold on conditions (age, licence, region) go to regulated-goods, goods
# that may not be sold at all to prohibited-goods, schemes that defraud buyers, banks or
# rights holders to fraud-and-ip, and speech and depictions that harm people to
# harmful-content.
_AREAS_BY_QUEUE: dict[str, tuple[PolicyArea, ...]] = {
    "ip-specialists": ("counterfeit_ip",),
    "regulated-goods": (
        "weapons",
        "drugs",
        "wildlife",
        "hazardous_goods",
        "recalled_products",
        "regulated_health",
        "prescription_drugs",
        "tobacco_vaping",
        "alcohol",
        "gambling",
    ),
    "prohibited-goods": (
        "firearms",
        "explosives_fireworks",
        "drug_paraphernalia",
        "human_remains",
        "surveillance_lockpicking",
    ),
    "fraud-and-ip": (
        "counterfeit_currency",
        "forged_documents",
        "stolen_goods",
        "hacking_fraud_services",
        "pirated_content",
        "gift_cards",
    ),
    "harmful-content": ("hate", "harassment", "violence", "self_harm"),
    "claims-review": ("misleading_claims",),
    "fraud": ("off_platform", "abusive_pricing"),
    "adult-content": ("adult",),
}
QUEUE_BY_AREA: dict[str, str] = {area: queue for queue, areas in _AREAS_BY_QUEUE.items() for area in areas}
QUEUES: tuple[str, ...] = tuple(dict.fromkeys([*QUEUE_BY_AREA.values(), "fraud", "general"]))
"""Every queue an escalation can land in."""
_QUEUE_BY_REASON: dict[str, str] = {
    "injection_attempt": "fraud",
    "unknown_seller": "fraud",
}
_PRIORITY_BY_SEVERITY: dict[Severity, int] = {"critical": 1, "high": 2, "medium": 3, "low": 4}
_SEVERITY_WEIGHT: dict[Severity, float] = {"critical": 1.0, "high": 0.75, "medium": 0.5, "low": 0.25}
_UNKNOWN_SEVERITY_WEIGHT = 0.5
"""No clause at stake was retrieved: weigh the harm as a medium-severity one."""
_HARM_BY_PRIORITY: tuple[tuple[int, float], ...] = ((1, 0.6), (2, 0.3), (3, 0.1))
"""The expected harm at which a case reaches each priority; below the last, priority 4."""
STRIKE_RISK = 0.15
"""Each upheld strike of the seller adds this much probability of a violation (noisy-or), up to three."""
_URGENT_REASONS = frozenset({"injection_attempt", "repeat_offender"})


class EscalationInput(BaseModel):
    """Arguments of the escalation tool."""

    run_id: str
    case_id: str
    reasons: list[str] = Field(min_length=1, description="Why a human must decide, most important first.")
    areas: list[PolicyArea] = Field(default_factory=list, description="Policy areas at stake.")
    severity: Severity | None = Field(default=None, description="The highest severity at stake.")
    agent_decision: Decision = Field(
        default="escalate", description="What the agent would have decided, if it decided."
    )
    risk: float | None = Field(
        default=None, ge=0, le=1, description="Probability that the case violates a policy, if known."
    )
    seller_strikes: int = Field(default=0, ge=0, description="The seller's upheld strikes.")


class EscalationBackend(Protocol):
    """Where escalations are kept.

    Contract: `open_escalation` stores the record and returns it; if the run already
    has one it returns that one unchanged (resumed runs re-open safely). Failures raise.
    """

    def open_escalation(self, escalation: EscalationRecord) -> EscalationRecord:
        """Store the escalation, or return the run's existing one."""
        ...


class MemoryEscalationBackend:
    """Escalations in a dict, for tests."""

    def __init__(self) -> None:
        self.opened: dict[str, EscalationRecord] = {}

    def open_escalation(self, escalation: EscalationRecord) -> EscalationRecord:
        """Store the escalation, or return the run's existing one."""
        return self.opened.setdefault(escalation.run_id, escalation)


def route_escalation(args: EscalationInput) -> EscalationRecord:
    """Pick the queue and priority for an escalation (pure: nothing is stored)."""
    # A manipulation signal (an instruction to the reviewer, an unknown seller) outranks
    # the policy area: fraud investigators see those first.
    queue = next((_QUEUE_BY_REASON[r] for r in args.reasons if r in _QUEUE_BY_REASON), None)
    if queue is None:
        queue = next((QUEUE_BY_AREA[a] for a in args.areas if a in QUEUE_BY_AREA), None)
    if queue is None:
        queue = "fraud" if "repeat_offender" in args.reasons else "general"
    risk = seller_risk(args.risk, args.seller_strikes)
    if risk is None:
        priority = _PRIORITY_BY_SEVERITY.get(args.severity or "low", 4)
    else:
        weight = _SEVERITY_WEIGHT[args.severity] if args.severity else _UNKNOWN_SEVERITY_WEIGHT
        harm = risk * weight
        priority = next((p for p, floor in _HARM_BY_PRIORITY if harm >= floor), 4)
    if _URGENT_REASONS.intersection(args.reasons):
        priority = max(priority - 1, 1)
    return EscalationRecord(
        run_id=args.run_id,
        case_id=args.case_id,
        queue=queue,
        priority=priority,
        reasons=args.reasons,
        areas=list(args.areas),
        agent_decision=args.agent_decision,
        risk=None if risk is None else round(risk, 4),
    )


def seller_risk(risk: float | None, strikes: int) -> float | None:
    """`risk` raised by the seller's upheld strikes (noisy-or, at most three counted)."""
    if risk is None:
        return None
    return round(1 - (1 - risk) * (1 - STRIKE_RISK) ** min(strikes, 3), 6)


def open_escalation(backend: EscalationBackend, args: EscalationInput) -> EscalationRecord:
    """Route and store an escalation; returns what the backend holds."""
    return backend.open_escalation(route_escalation(args))


def make_escalation_tool(backend: EscalationBackend) -> BaseTool:
    """The escalation tool as a LangChain tool over `backend`."""

    def escalation(**kwargs: object) -> EscalationRecord:
        return open_escalation(backend, EscalationInput.model_validate(kwargs))

    return StructuredTool.from_function(
        escalation,
        name="escalation",
        description=(
            "Hand the case to a human reviewer: opens an escalation in the queue for the "
            "policy areas at stake, with a priority from their severity, and the reasons."
        ),
        args_schema=EscalationInput,
    )
