"""The screen, queue and model-use figures of a suite run, on hand-made results with known answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from auditgraph.agents import rules_agent
from auditgraph.evals.dataset import EvalCase
from auditgraph.evals.metrics import aggregate, model_use, queue_order, queue_ranking, screen_on_suite
from auditgraph.evals.report import build_report, write_reports
from auditgraph.evals.results import CaseResult
from auditgraph.evals.runner import load_results, run_suite
from auditgraph.tools.risk_screen import AreaProbability, RiskScreenEvidence
from auditgraph.workflows import Auditor
from tests.evals.test_evals import SPEC, _examples


def _case(case_id: str, decision: str) -> EvalCase:
    return EvalCase(id=case_id, input={}, expected={"decision": decision})


def _result(case_id: str, decision: str = "approve", **fields: Any) -> CaseResult:
    status = "awaiting_review" if decision == "escalate" else "completed"
    return CaseResult(
        case_id=case_id, trial=1, run_id=f"run_{case_id}", status=status, decision=decision, **fields
    )


def _suite(*rows: tuple[str, str, float | None]) -> tuple[dict[str, EvalCase], list[CaseResult]]:
    """(case id, expected decision, screen score) rows."""
    cases = {i: _case(i, expected) for i, expected, _ in rows}
    return cases, [_result(i, screen_violation=score) for i, _, score in rows]


def test_a_screen_that_separates_perfectly_scores_one_and_a_reversed_one_zero() -> None:
    cases, results = _suite(
        ("v1", "reject", 0.8), ("v2", "restrict", 0.9), ("b1", "approve", 0.1), ("b2", "approve", 0.2),
        ("e1", "escalate", 0.99), ("n1", "reject", None),
    )  # fmt: skip
    figures = screen_on_suite(cases, results)
    assert (figures["roc_auc"], figures["average_precision"]) == (1.0, 1.0)
    # The case expected to escalate and the unscored one are left out.
    assert (figures["cases"], figures["violating"], figures["benign"]) == (4, 2, 2)
    cases, results = _suite(("v1", "reject", 0.1), ("v2", "reject", 0.2), ("b1", "approve", 0.8))
    assert screen_on_suite(cases, results)["roc_auc"] == 0.0


def test_calibration_error_and_reliability_table_of_a_small_set() -> None:
    # Bin 0.1-0.2: predicted 0.15, half violating (gap 0.35); bin 0.9-1.0: predicted 0.95, all
    # violating (gap 0.05). Two cases each: ECE = 0.5 * 0.35 + 0.5 * 0.05 = 0.2.
    cases, results = _suite(
        ("a", "reject", 0.15), ("b", "approve", 0.15), ("c", "reject", 0.95), ("d", "restrict", 0.95)
    )
    figures = screen_on_suite(cases, results)
    assert figures["ece"] == pytest.approx(0.2)
    assert figures["reliability"] == [
        {"low": 0.1, "high": 0.2, "count": 2, "predicted": 0.15, "observed": 0.5},
        {"low": 0.9, "high": 1.0, "count": 2, "predicted": 0.95, "observed": 1.0},
    ]


def test_screen_ranking_is_none_without_both_classes_or_without_scores() -> None:
    cases, results = _suite(("a", "reject", 0.7), ("b", "reject", 0.9))
    figures = screen_on_suite(cases, results)
    assert figures["roc_auc"] is None and figures["average_precision"] is None
    assert figures["ece"] == pytest.approx(0.2)  # calibration needs no second class
    cases, results = _suite(("a", "reject", None), ("b", "approve", None))
    figures = screen_on_suite(cases, results)
    assert (figures["roc_auc"], figures["ece"], figures["reliability"]) == (None, None, [])


def test_only_the_first_trial_of_a_case_counts() -> None:
    cases, results = _suite(("v", "reject", 0.9), ("b", "approve", 0.1))
    second = [r.model_copy(update={"trial": 2, "screen_violation": 1 - r.screen_violation}) for r in results]
    assert screen_on_suite(cases, [*second, *results])["roc_auc"] == 1.0


def _escalated(case_id: str, priority: int | None, risk: float | None, queue: str = "general") -> CaseResult:
    return _result(case_id, "escalate", queue=queue, priority=priority, risk=risk)


def test_the_queue_order_and_its_top_decile() -> None:
    # Twenty escalations: the top decile is the first two as the queue serves them.
    served = [
        _escalated("p1-high", 1, 0.8),  # violating
        _escalated("p1-low", 1, 0.3),  # benign
        _escalated("p1-unknown", 1, None),  # violating, but unknown risk waits behind known risk
        _escalated("z-tie", 2, 0.5),  # the same priority and risk: case order decides
        _escalated("a-tie", 2, 0.5),
        *(_escalated(f"rest{i:02}", 3, 0.99) for i in range(15)),
    ]
    violating = {"p1-high", "p1-unknown", "rest00", "rest01", "rest02"}
    order = [r.case_id for r in reversed(served)]
    cases = {i: _case(i, "reject" if i in violating else "approve") for i in ["z-tie", *order]}
    cases["approved"] = _case("approved", "reject")
    results = [*reversed(served), _result("approved", "approve", screen_violation=0.99)]
    positions = {case_id: i for i, case_id in enumerate(cases)}
    ranked = [r.case_id for r in queue_order(results, positions)]
    assert ranked[:5] == ["p1-high", "p1-low", "p1-unknown", "z-tie", "a-tie"]
    assert "approved" not in ranked
    figures = queue_ranking(cases, results)
    assert (figures["escalated"], figures["top"]) == (20, 2)
    assert figures["precision"] == 0.5 and figures["base_rate"] == 0.25 and figures["lift"] == 2.0
    assert set(figures["per_queue"]) == {"general"}


def test_queues_with_ten_escalations_are_reported_on_their_own() -> None:
    results = [
        *(_escalated(f"f{i:02}", 1, 1 - i / 100, queue="fraud") for i in range(30)),
        *(_escalated(f"w{i}", 2, 0.5, queue="weapons") for i in range(9)),
    ]
    cases = {
        r.case_id: _case(r.case_id, "reject" if r.case_id in {"f00", "f01", "f05"} else "approve")
        for r in results
    }
    figures = queue_ranking(cases, results)
    assert set(figures["per_queue"]) == {"fraud"}
    fraud = figures["per_queue"]["fraud"]
    # ceil(10% of 30) is 3, not 4 (0.1 * 30 is a hair over 3.0 in floating point).
    assert (fraud["escalated"], fraud["top"], fraud["precision"], fraud["base_rate"]) == (30, 3, 0.6667, 0.1)
    assert (figures["escalated"], figures["top"]) == (39, 4)


def test_model_use_and_the_cost_saved() -> None:
    results = [
        # a: planned and decided by the model; b: planned by it, settled by the screen.
        _result("a", model_calls=2, cost_usd=0.003).model_copy(
            update={"verdict_model_calls": 1, "verdict_cost_usd": 0.002}
        ),
        _result("b", model_calls=1, cost_usd=0.001),
        _result("c"),
        _result("d", "escalate"),
        _result("e").model_copy(update={"status": "failed", "decision": None}),
    ]
    figures = model_use(results)
    assert figures["model_use_rate"] == 0.4 and figures["model_calls_total"] == 3
    assert figures["verdict_model_rate"] == 0.2
    # Mean cost of a verdict that called the model (0.002) times the cases decided without one (b, c, d).
    assert figures["cost_saved_usd"] == pytest.approx(0.006)
    unpriced = model_use([_result("a", model_calls=1), _result("b")])
    assert unpriced == {
        "model_use_rate": 0.5, "verdict_model_rate": 0.0, "model_calls_total": 1, "cost_saved_usd": None,
    }  # fmt: skip


def test_results_written_before_these_fields_still_load_and_aggregate(tmp_path: Path) -> None:
    old = {
        "case_id": "a", "trial": 1, "run_id": "run_a", "status": "awaiting_review", "decision": "escalate",
        "agent_decision": "escalate", "clause_ids": [], "escalation_reasons": ["low_confidence"],
        "tools": ["text_screen"], "latency_ms": 3.0, "model_calls": 0, "tokens_in": 0, "tokens_out": 0,
        "cost_usd": None, "error": None,
    }  # fmt: skip
    path = tmp_path / "results.jsonl"
    path.write_text(
        json.dumps(old) + "\n" + json.dumps({**old, "case_id": "b", "decision": "approve"}) + "\n"
    )
    results = load_results(path)
    assert [r.case_id for r in results] == ["a", "b"]
    assert all(
        (r.screen_violation, r.screen_top_area, r.queue, r.priority, r.risk) == (None,) * 5 for r in results
    )
    agg = aggregate({"a": _case("a", "reject"), "b": _case("b", "approve")}, results, clause_area={})
    assert agg["screen_roc_auc"] is None and agg["screen_ece"] is None
    assert agg["queue_top_decile_precision"] is None and agg["queue_base_rate"] == 1.0
    assert agg["model_use_rate"] == 0.0 and agg["cost_saved_usd"] is None


class FixedScreen:
    """A risk screen that gives every listing the same score."""

    def __init__(self, violation: float) -> None:
        self.violation = violation

    def assess(self, text: str) -> RiskScreenEvidence:
        return RiskScreenEvidence(
            status="ok", version="fixed", sha256="0" * 64, violation=self.violation,
            areas=[AreaProbability(area="weapons", probability=self.violation)],
            approve_below=0.1, decide_at=0.95,
        )  # fmt: skip


def test_a_run_keeps_the_screen_score_and_its_escalation_in_the_queue_order(
    make_auditor: Callable[..., Auditor], tmp_path: Path
) -> None:
    auditor = make_auditor(agent=rules_agent(risk_screen=True), screen=FixedScreen(0.5))
    cases = _examples()
    results = run_suite(auditor, cases, results_path=tmp_path / "r.jsonl", concurrency=1)
    assert all(r.screen_violation == 0.5 and r.screen_top_area == "weapons" for r in results)
    escalated = [r for r in results if r.escalated]
    assert escalated and all(r.queue and r.priority and r.risk is not None for r in escalated)
    assert all((r.queue, r.priority, r.risk) == (None, None, None) for r in results if not r.escalated)
    # Cases were audited one by one in case order, so age order is case order: the order
    # the figures assume is the order the store serves.
    positions = {c.id: i for i, c in enumerate(cases)}
    assert [r.run_id for r in queue_order(results, positions)] == [
        e.run_id for e in auditor.store.open_escalations()
    ]


HOSTILE = '<img src=x onerror="alert(1)">'


def test_the_reports_hold_the_screen_and_queue_sections_and_the_page_escapes_what_it_shows(
    tmp_path: Path,
) -> None:
    cases = [_case(HOSTILE, "reject"), *(_case(f"b{i}", "approve") for i in range(3))]
    results = [
        _result(HOSTILE, "approve", screen_violation=0.35),
        *(_result(f"b{i}", screen_violation=score) for i, score in enumerate([0.05, 0.06, 0.25])),
    ]
    report = build_report(SPEC, cases, results, clause_area={})
    paths = write_reports(report, tmp_path)
    page = paths["html"].read_text()
    assert HOSTILE not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<script" not in page and "<link" not in page
    start, end = page.index("<svg"), page.index("</svg>") + len("</svg>")
    svg = ElementTree.fromstring(page[start:end])
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("class") == "reliability"
    assert len(svg.findall(f".//{ns}circle")) == len(report["aggregates"]["screen"]["reliability"]) == 3
    assert svg.find(f".//{ns}line[@class='diagonal']") is not None
    labels = {t.text for t in svg.iter(f"{ns}text")}
    assert {"mean predicted probability", "observed violating share"} <= labels
    assert "Risk screen on this suite" in page and "Queue ranking" in page
    markdown = paths["markdown"].read_text()
    assert "## Risk screen on this suite" in markdown and "## Queue ranking" in markdown
    assert "| ROC AUC | 1 |" in markdown and "| Cases that needed a model | 0 |" in markdown
    saved = json.loads(paths["json"].read_text())["aggregates"]
    assert saved["screen_roc_auc"] == 1.0 and saved["screen"]["cases"] == 4
