"""Risk screen: a learned model's probability that the listing's own text violates a policy.

The model (a calibrated classifier over n-grams and sentence embeddings, trained on a
labelled corpus) lives with the agents; this tool reaches it only through the
`RiskScorer` interface, so tools never import agents. It reports the probability that
the listing violates any area, the most likely areas, the nearest labelled examples and
the screen's own thresholds, with the screen's version and sha256. It never decides.
"""

from __future__ import annotations

from typing import Literal, Protocol

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field

from auditgraph.tools.case import PolicyArea
from auditgraph.tools.evidence import Evidence
from auditgraph.tools.retry import BackendUnavailable

__all__ = [
    "MAX_SCREEN_TEXT",
    "NEIGHBOUR_EXCERPT",
    "AreaProbability",
    "RiskScorer",
    "RiskScreenEvidence",
    "RiskScreenInput",
    "ScreenNeighbour",
    "ScreenUnavailable",
    "listing_text",
    "make_risk_screen_tool",
]

MAX_SCREEN_TEXT = 4_000
"""Characters of a listing's text the screen reads (n-grams); its embedder reads fewer."""
TOP_AREAS = 5
TOP_NEIGHBOURS = 3
NEIGHBOUR_EXCERPT = 160
"""Characters of a neighbouring example's text kept with the screen and shown as evidence."""


class ScreenUnavailable(BackendUnavailable):
    """The screen cannot answer: no saved screen, a file refused, another embedder."""


def listing_text(title: str, description: str) -> str:
    """The text a screen reads: title, then description (what a buyer sees first)."""
    parts = [title.strip(), description.strip()]
    return ". ".join(p for p in parts if p)[:MAX_SCREEN_TEXT]


class AreaProbability(BaseModel):
    """One policy area and the screen's probability that the text violates it."""

    model_config = ConfigDict(frozen=True)

    area: PolicyArea
    probability: float = Field(ge=0, le=1)


class ScreenNeighbour(BaseModel):
    """A labelled example the screen was trained on, close to the scored text."""

    model_config = ConfigDict(frozen=True)

    id: str
    label: str
    """Its policy area, or "benign"."""
    similarity: float
    text: str = Field(max_length=NEIGHBOUR_EXCERPT)
    """The start of its text."""


class RiskScorer(Protocol):
    """The backend behind the tool: a trained screen, however it is loaded."""

    def assess(self, text: str) -> RiskScreenEvidence:
        """Score one listing text: `ok` evidence with every field filled.

        Raises:
            ScreenUnavailable: the screen cannot be loaded or used; the message says why.
        """
        ...


class RiskScreenInput(BaseModel):
    """Arguments of the risk-screen tool: the listing's own text."""

    title: str = Field(description="The listing's title.")
    description: str = Field(default="", description="The listing's description.")


class RiskScreenEvidence(Evidence):
    """What the risk screen said; empty fields unless `status` is `ok`."""

    tool: Literal["risk_screen"] = "risk_screen"
    version: str = ""
    sha256: str = ""
    """sha256 of the screen's model file: which trained model answered."""
    violation: float | None = Field(default=None, ge=0, le=1)
    """The calibrated probability that the text violates any area."""
    areas: list[AreaProbability] = Field(default_factory=list, max_length=TOP_AREAS)
    """The most likely areas, highest first."""
    neighbours: list[ScreenNeighbour] = Field(default_factory=list, max_length=TOP_NEIGHBOURS)
    approve_below: float | None = None
    """The screen's own threshold: only a text scored under it may be approved."""
    decide_at: float | None = None
    """The screen's own threshold: a text scored at or above it may be decided on the screen alone."""


def make_risk_screen_tool(scorer: RiskScorer) -> BaseTool:
    """The risk-screen tool as a LangChain tool over `scorer`."""

    def risk_screen(title: str, description: str = "") -> RiskScreenEvidence:
        text = listing_text(title, description)
        if not text:
            return RiskScreenEvidence(status="not_found", error="the listing has no text to screen")
        try:
            return scorer.assess(text)
        except ScreenUnavailable as exc:
            return RiskScreenEvidence(status="unavailable", error=str(exc))

    return StructuredTool.from_function(
        risk_screen,
        name="risk_screen",
        description=(
            "Score the listing's title and description with the learned risk screen: the "
            "probability that the listing violates any policy area, the most likely areas "
            "and the nearest labelled examples. Evidence only; it never decides."
        ),
        args_schema=RiskScreenInput,
    )
