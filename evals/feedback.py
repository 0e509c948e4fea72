"""Reviewers' decisions as new eval cases: expert judgement grows the golden set.

Each reviewed run becomes a dataset line whose ground truth is the reviewer's decision;
the agent's own decision is kept in the metadata, and overrides are counted (the human
override rate). Personal data in the case is replaced by fictional values of the same
kind (a phone number stays a phone number to the text screen), so a dataset file never
holds a real seller's contact details.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from auditgraph.store.base import AuditStore
from auditgraph.tools.personal_data import mask, mask_text
from auditgraph.tools.policy_retrieval import PolicyPack

__all__ = ["Imported", "import_reviews"]


class Imported(NamedTuple):
    """Dataset lines made from reviews, and the override rate among them."""

    lines: list[dict[str, Any]]
    reviews: int
    overrides: int

    @property
    def override_rate(self) -> float | None:
        """Share of reviews where the reviewer decided against the agent."""
        return round(self.overrides / self.reviews, 4) if self.reviews else None


def import_reviews(store: AuditStore, pack: PolicyPack, *, limit: int = 10_000) -> Imported:
    """Every reviewed run in `store` as an eval case (the latest review wins)."""
    lines: list[dict[str, Any]] = []
    reviews = overrides = 0
    for run in store.list_runs(limit=limit):
        done = store.reviews(run.run_id)
        case = store.get_case(run.run_id)
        if not done or case is None:
            continue
        review = done[-1]
        reviews += 1
        overrides += int(review.overrode_agent)
        clause = pack.clause(review.clause_ids[0]) if review.clause_ids else None
        lines.append(
            {
                "id": f"review-{run.run_id}",
                "input": mask(case, style="synthetic"),
                "expected": {
                    "decision": review.decision,
                    "area": clause.area if clause else None,
                    "clause_ids": list(review.clause_ids),
                    "human_required": False,
                    "tools": [],
                },
                "metadata": {
                    "kind": run.case_kind,
                    "source": "review",
                    "run_id": run.run_id,
                    "reviewer": review.reviewer,
                    "reason": mask_text(review.reason),
                    "agent_decision": review.agent_decision,
                    "overrode_agent": review.overrode_agent,
                    "reviewed_at": review.created_at.isoformat(),
                },
            }
        )
    return Imported(lines, reviews, overrides)
