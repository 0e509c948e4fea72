"""Figures for the risk screen: ranking, calibration, and thresholds for a stated budget.

`evaluate` scores labelled examples and reports ROC AUC and average precision of the
violation probability, expected calibration error with its reliability bins, per-area
recall, and the two thresholds a decider uses: below `approve_below` a case may be
approved (chosen so that at most `false_approve_budget` of violating examples fall under
it), and at or above `decide_at` the screen is confident enough to support a decision
(chosen so that at most `false_reject_budget` of benign examples reach it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from auditgraph.agents.screen import BENIGN, Example, RiskScreen

__all__ = ["ScreenReport", "calibration", "evaluate", "ranking", "split", "thresholds"]


@dataclass(frozen=True)
class ScreenReport:
    """The screen's figures on one labelled set."""

    examples: int
    violating: int
    roc_auc: float
    average_precision: float
    ece: float
    reliability: list[dict[str, float]]
    approve_below: float
    decide_at: float
    false_approve_rate: float
    false_reject_rate: float
    benign_auto_approved: float
    violating_auto_decided: float
    area_recall: dict[str, float] = field(default_factory=dict)
    top_area_accuracy: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return asdict(self)


def split(
    examples: Sequence[Example], *, validation: float = 0.25, seed: int = 7
) -> tuple[list[Example], list[Example]]:
    """(train, validation) with whole groups on one side, about `validation` of groups per label.

    Groups are drawn per label so that every area is represented on both sides; a
    label with a single group stays in training.
    """
    by_label: dict[str, list[str]] = {}
    for example in examples:
        groups = by_label.setdefault(example.label, [])
        if (example.group or example.id) not in groups:
            groups.append(example.group or example.id)
    rng = np.random.default_rng(seed)
    held: set[str] = set()
    for groups in by_label.values():
        n = round(len(groups) * validation) if len(groups) > 1 else 0
        held.update(rng.choice(sorted(groups), size=n, replace=False).tolist() if n else [])
    train = [e for e in examples if (e.group or e.id) not in held]
    return train, [e for e in examples if (e.group or e.id) in held]


def calibration(
    probability: np.ndarray, truth: np.ndarray, bins: int = 10
) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error over equal-width bins, and the bins (mean predicted,
    observed rate, count) for a reliability plot."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(probability, edges[1:-1]), 0, bins - 1)
    ece, rows = 0.0, []
    for b in range(bins):
        mask = index == b
        if not mask.any():
            continue
        predicted, observed = float(probability[mask].mean()), float(truth[mask].mean())
        ece += mask.mean() * abs(predicted - observed)
        rows.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "predicted": predicted,
                "observed": observed,
                "count": int(mask.sum()),
            }
        )
    return float(ece), rows


def ranking(probability: np.ndarray, truth: np.ndarray) -> tuple[float, float] | None:
    """(ROC AUC, average precision) of `probability` separating `truth`; None unless both
    classes are present."""
    if not (truth.any() and (~truth).any()):
        return None
    return float(roc_auc_score(truth, probability)), float(average_precision_score(truth, probability))


def thresholds(
    probability: np.ndarray, truth: np.ndarray, *, false_approve_budget: float, false_reject_budget: float
) -> tuple[float, float]:
    """(approve_below, decide_at) for the budgets; approve_below <= decide_at always."""
    violating = np.sort(probability[truth])
    benign = np.sort(probability[~truth])
    # The k-th lowest violating score: below it lie at most k violating examples.
    k = int(np.floor(false_approve_budget * len(violating)))
    approve_below = float(violating[k]) if len(violating) else 0.0
    # The score the top `budget` share of benign examples reach; decide strictly above it.
    j = int(np.floor(false_reject_budget * len(benign)))
    decide_at = float(np.nextafter(benign[len(benign) - 1 - j], 1.0)) if len(benign) else 1.0
    return min(approve_below, decide_at), max(decide_at, approve_below)


def evaluate(
    screen: RiskScreen,
    examples: Sequence[Example],
    *,
    false_approve_budget: float = 0.02,
    false_reject_budget: float = 0.01,
    thresholds_from: tuple[float, float] | None = None,
) -> ScreenReport:
    """Score `examples` and report; thresholds are chosen on them unless given."""
    scores = screen.score_many([e.text for e in examples], neighbours=0)
    probability = np.array([s.violation for s in scores])
    truth = np.array([e.label != BENIGN for e in examples])
    approve_below, decide_at = thresholds_from or thresholds(
        probability, truth, false_approve_budget=false_approve_budget, false_reject_budget=false_reject_budget
    )
    ece, bins = calibration(probability, truth)
    recall: dict[str, float] = {}
    top_hits = 0
    for area in sorted({e.label for e in examples} - {BENIGN}):
        mask = np.array([e.label == area for e in examples])
        recall[area] = float((probability[mask] >= approve_below).mean())
    for example, score in zip(examples, scores, strict=True):
        if example.label != BENIGN and score.areas and next(iter(score.areas)) == example.label:
            top_hits += 1
    roc_auc, average_precision = ranking(probability, truth) or (float("nan"), float("nan"))
    return ScreenReport(
        examples=len(examples),
        violating=int(truth.sum()),
        roc_auc=roc_auc,
        average_precision=average_precision,
        ece=ece,
        reliability=bins,
        approve_below=approve_below,
        decide_at=decide_at,
        false_approve_rate=float((probability[truth] < approve_below).mean()) if truth.any() else 0.0,
        false_reject_rate=float((probability[~truth] >= decide_at).mean()) if (~truth).any() else 0.0,
        benign_auto_approved=float((probability[~truth] < approve_below).mean()) if (~truth).any() else 0.0,
        violating_auto_decided=float((probability[truth] >= decide_at).mean()) if truth.any() else 0.0,
        area_recall=recall,
        top_area_accuracy=top_hits / max(1, int(truth.sum())),
    )
