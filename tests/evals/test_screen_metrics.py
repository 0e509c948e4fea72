"""The screen's figures: thresholds keep to their budgets, calibration error is measured right."""

from __future__ import annotations

import numpy as np
import pytest

from auditgraph.evals.screen import calibration, evaluate, thresholds
from tests.agents.test_screen import _examples


def test_thresholds_keep_the_false_approve_and_false_reject_budgets() -> None:
    rng = np.random.default_rng(3)
    violating = rng.beta(5, 2, 500)
    benign = rng.beta(2, 5, 1000)
    probability = np.concatenate([violating, benign])
    truth = np.concatenate([np.ones(500, bool), np.zeros(1000, bool)])
    approve_below, decide_at = thresholds(
        probability, truth, false_approve_budget=0.02, false_reject_budget=0.01
    )
    assert (violating < approve_below).mean() <= 0.02
    assert (benign >= decide_at).mean() <= 0.01
    assert approve_below <= decide_at
    # The tightest such thresholds: one step looser breaks the budget.
    assert (violating < np.nextafter(approve_below, 1)).mean() > 0.02 or approve_below == violating.max()


def test_a_perfectly_calibrated_score_has_no_calibration_error_and_a_constant_one_does() -> None:
    truth = np.array([True] * 30 + [False] * 70)
    ece, bins = calibration(np.full(100, 0.3), truth)
    assert ece == pytest.approx(0.0)
    assert [(b["predicted"], b["observed"], b["count"]) for b in bins] == [(pytest.approx(0.3), 0.3, 100)]
    ece, _ = calibration(np.full(100, 0.9), truth)
    assert ece == pytest.approx(0.6)


def test_evaluate_reports_ranking_calibration_and_recall_for_a_trained_screen() -> None:
    from auditgraph.agents.screen import NoEmbedder, RiskScreen

    examples = _examples()
    screen = RiskScreen.fit(examples, embedder=NoEmbedder(), version="t", folds=3)
    report = evaluate(screen, examples)
    assert report.examples == len(examples) and report.violating == 16
    assert report.roc_auc > 0.9 and 0 <= report.ece <= 1
    assert set(report.area_recall) == {"firearms", "drugs"}
    assert report.false_approve_rate <= 0.02 and report.false_reject_rate <= 0.01
