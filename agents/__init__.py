"""The deciders: a planner and an adjudicator, behind one protocol each.

Nothing outside this package knows which implementation runs: the offline rules agent
(the embedded default) or a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from langchain_core.tools import BaseTool

from auditgraph.agents.adjudicator import RulesAdjudicator, Verdict
from auditgraph.agents.calls import ModelSpec
from auditgraph.agents.evidence import EvidenceSet
from auditgraph.agents.planner import Plan, RulesPlanner, ToolCall
from auditgraph.tools.case import AnyCase
from auditgraph.tools.risk_screen import RiskScorer

__all__ = [
    "Adjudicator",
    "Agent",
    "AgentKind",
    "EvidenceSet",
    "ModelSpec",
    "Plan",
    "Planner",
    "ToolCall",
    "Verdict",
    "llm_agent",
    "rules_agent",
]


AgentKind = Literal["rules", "llm"]
"""Which decider runs: the offline rules agent or a chat model; recorded on every run."""


class Planner(Protocol):
    """Chooses the evidence tools a case needs."""

    version: str

    def plan(self, case: AnyCase) -> Plan:
        """The tool calls to make for `case`."""
        ...


class Adjudicator(Protocol):
    """Turns evidence into a verdict that cites only retrieved clauses."""

    version: str

    def adjudicate(self, case: AnyCase, evidence: EvidenceSet) -> Verdict:
        """The verdict for `case`."""
        ...


@dataclass(frozen=True)
class Agent:
    """A planner and an adjudicator that run together, with what the trace records of them."""

    kind: AgentKind
    """"rules" or "llm"; a model agent's model is named in `model`."""
    planner: Planner
    adjudicator: Adjudicator
    model: str | None = None
    prompt_version: str | None = None

    @property
    def version(self) -> str:
        """Both deciders' versions, as one string for the run record."""
        return f"{self.planner.version}+{self.adjudicator.version}"


def rules_agent(*, risk_screen: bool = False, screen: RiskScorer | None = None) -> Agent:
    """The offline, deterministic agent: no key, no network.

    `risk_screen` plans the learned risk screen too (its toolset must offer it), and then
    no approval stands without the screen's assurance. Given the `screen` itself, the
    planner also has policy retrieval cover the areas the screen finds likely.
    """
    planned = risk_screen or screen is not None
    return Agent(
        kind="rules",
        planner=RulesPlanner(risk_screen=planned, screen=screen),
        adjudicator=RulesAdjudicator(require_screen=planned),
    )


def llm_agent(
    spec: ModelSpec,
    tools: Mapping[str, BaseTool],
    *,
    fallback_confidence: float = 0.9,
    screen_settles: bool = True,
    screen: RiskScorer | None = None,
) -> Agent:
    """A chat-model agent over `tools` (any OpenAI-compatible endpoint, see `ModelSpec`).

    With `screen_settles`, cases the risk screen settles are decided without a model call.
    """
    from auditgraph.agents.adjudicator.llm import LlmAdjudicator
    from auditgraph.agents.adjudicator.prompts import PROMPT_VERSION as ADJUDICATOR_PROMPT
    from auditgraph.agents.model import make_chat_model
    from auditgraph.agents.planner.llm import LlmPlanner
    from auditgraph.agents.planner.prompts import PROMPT_VERSION as PLANNER_PROMPT

    model = make_chat_model(spec)
    return Agent(
        kind="llm",
        planner=LlmPlanner(model, tools, spec, screen=screen),
        adjudicator=LlmAdjudicator(
            model, spec, fallback_confidence=fallback_confidence, screen_settles=screen_settles
        ),
        model=spec.model,
        prompt_version=f"{PLANNER_PROMPT}+{ADJUDICATOR_PROMPT}",
    )
