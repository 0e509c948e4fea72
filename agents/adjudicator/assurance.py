"""What the learned risk screen assures: the reading every decider shares.

An approval must be earned: the screen's calibrated probability that the listing violates
any area has to sit below the screen's own `approve_below` threshold (chosen on held-out
data for a false-approve budget). At or above `decide_at` (chosen for a false-reject
budget) the screen is confident enough to act on, provided a clause of its top area was
retrieved. Between the two, the screen neither clears nor convicts: a person decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from auditgraph.agents.evidence import EvidenceSet
from auditgraph.tools.case import PolicyArea

__all__ = ["ScreenRead", "read_screen"]


@dataclass(frozen=True)
class ScreenRead:
    """The risk screen's evidence, read against its own thresholds."""

    violation: float
    """Calibrated probability that the listing violates any area."""
    top_area: PolicyArea | None
    top_probability: float
    areas: tuple[tuple[PolicyArea, float], ...]
    """The most likely areas and their probabilities, highest first."""
    approve_below: float
    decide_at: float
    version: str

    @property
    def band(self) -> Literal["clear", "uncertain", "confident"]:
        """clear: below the approval threshold; confident: at the decision threshold."""
        if self.violation < self.approve_below:
            return "clear"
        return "confident" if self.violation >= self.decide_at else "uncertain"

    @property
    def clears(self) -> bool:
        """The screen assures an approval."""
        return self.band == "clear"

    def note(self) -> str:
        """One line for a rationale: the probability, the threshold it met, the top area."""
        area = f", top area {self.top_area} ({self.top_probability:.2f})" if self.top_area else ""
        if self.band == "clear":
            where = f"below the approval threshold {self.approve_below:.3f}"
        elif self.band == "confident":
            where = f"at or above the decision threshold {self.decide_at:.3f}"
        else:
            where = f"between the approval threshold {self.approve_below:.3f} and {self.decide_at:.3f}"
        return f"risk screen {self.version}: violation probability {self.violation:.3f}, {where}{area}"


def read_screen(evidence: EvidenceSet) -> ScreenRead | None:
    """The screen's reading, or None when it did not answer with thresholds to read against."""
    screen = evidence.risk_screen
    if (
        screen is None
        or screen.status != "ok"
        or screen.violation is None
        or screen.approve_below is None
        or screen.decide_at is None
    ):
        return None
    top = screen.areas[0] if screen.areas else None
    return ScreenRead(
        violation=screen.violation,
        top_area=top.area if top else None,
        top_probability=top.probability if top else 0.0,
        areas=tuple((a.area, a.probability) for a in screen.areas),
        approve_below=screen.approve_below,
        decide_at=screen.decide_at,
        version=screen.version,
    )
