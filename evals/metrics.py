"""Suite-level KPIs from per-case results: what a moderation lead reads before a change ships.

Most KPIs pool every trial. The risk screen's figures, the queue ranking and model use are
read from the first trial of each case, so that each case counts once.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from auditgraph.evals.dataset import EvalCase
from auditgraph.evals.results import CaseResult
from auditgraph.evals.scorers import score_case
from auditgraph.evals.screen import calibration, ranking

__all__ = [
    "DECISIONS",
    "QUEUE_MIN_CASES",
    "aggregate",
    "confusion",
    "first_trials",
    "model_use",
    "queue_order",
    "queue_ranking",
    "screen_on_suite",
]

DECISIONS = ("approve", "reject", "restrict", "escalate")
QUEUE_MIN_CASES = 10
"""Escalated cases a queue needs before its own top-decile precision is reported."""


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(int(len(ordered) * q), len(ordered) - 1)], 2)


def confusion(cases: dict[str, EvalCase], results: Sequence[CaseResult]) -> dict[str, dict[str, int]]:
    """Counts of expected decision (rows) by outcome (columns; "failed" for crashes)."""
    table: dict[str, dict[str, int]] = {e: dict.fromkeys([*DECISIONS, "failed"], 0) for e in DECISIONS}
    for r in results:
        table[cases[r.case_id].expected.decision][r.decision or "failed"] += 1
    return table


def _macro_f1(cases: dict[str, EvalCase], results: Sequence[CaseResult]) -> float:
    scores = []
    for label in DECISIONS:
        tp = sum(1 for r in results if r.decision == label and cases[r.case_id].expected.decision == label)
        fp = sum(1 for r in results if r.decision == label and cases[r.case_id].expected.decision != label)
        fn = sum(1 for r in results if r.decision != label and cases[r.case_id].expected.decision == label)
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return round(sum(scores) / len(scores), 4) if scores else 0.0


def _per_area(
    cases: dict[str, EvalCase], results: Sequence[CaseResult], clause_area: dict[str, str]
) -> dict[str, Any]:
    """Precision and recall of enforcement per policy area (by the areas of the cited clauses)."""
    out: dict[str, Any] = {}
    areas = sorted({c.expected.area for c in cases.values() if c.expected.area})
    for area in areas:
        predicted = [
            r for r in results
            if r.decision in ("reject", "restrict") and any(clause_area.get(c) == area for c in r.clause_ids)
        ]  # fmt: skip
        actual = [r for r in results if cases[r.case_id].violating and cases[r.case_id].expected.area == area]
        tp = len({id(r) for r in predicted} & {id(r) for r in actual})
        out[area] = {
            "precision": _rate(tp, len(predicted)),
            "recall": _rate(tp, len(actual)),
            "violating_cases": len(actual),
        }
    return out


def _agreement(results: Sequence[CaseResult]) -> float | None:
    by_case: dict[str, set[str | None]] = defaultdict(set)
    trials = Counter(r.case_id for r in results)
    if not trials or max(trials.values()) < 2:
        return None
    for r in results:
        by_case[r.case_id].add(r.decision)
    return _rate(sum(1 for d in by_case.values() if len(d) == 1), len(by_case))


def first_trials(results: Sequence[CaseResult]) -> list[CaseResult]:
    """The first trial of each case, in the order the cases first appear."""
    first: dict[str, CaseResult] = {}
    for r in results:
        if r.case_id not in first or r.trial < first[r.case_id].trial:
            first[r.case_id] = r
    return list(first.values())


def screen_on_suite(cases: dict[str, EvalCase], results: Sequence[CaseResult]) -> dict[str, Any]:
    """The risk screen's ranking and calibration on the suite's violating and benign cases.

    A case counts as violating when its expected decision is reject or restrict, as benign
    when it is approve; cases expected to escalate, and runs without a screen score, are
    left out. AUC and average precision are None unless both classes are scored; the
    calibration error (10 equal-width bins) is None only when nothing is scored.
    """
    scored = [
        r for r in first_trials(results)
        if r.screen_violation is not None and (cases[r.case_id].violating or cases[r.case_id].benign)
    ]  # fmt: skip
    truth = np.array([cases[r.case_id].violating for r in scored], dtype=bool)
    probability = np.array([r.screen_violation for r in scored], dtype=float)
    ranked = ranking(probability, truth) if scored else None
    ece, bins = calibration(probability, truth) if scored else (None, [])
    return {
        "cases": len(scored),
        "violating": int(truth.sum()),
        "benign": int((~truth).sum()),
        "roc_auc": round(ranked[0], 4) if ranked else None,
        "average_precision": round(ranked[1], 4) if ranked else None,
        "ece": round(ece, 4) if ece is not None else None,
        "reliability": [
            {
                "low": round(b["low"], 2),
                "high": round(b["high"], 2),
                "count": b["count"],
                "predicted": round(b["predicted"], 4),
                "observed": round(b["observed"], 4),
            }
            for b in bins
        ],
    }


def queue_order(results: Sequence[CaseResult], order: dict[str, int]) -> list[CaseResult]:
    """Escalated results as a queue serves them: priority ascending, then risk descending
    (unknown risk last), then the case's position in `order`."""
    return sorted(
        (r for r in results if r.escalated),
        key=lambda r: (
            r.priority is None, r.priority or 0, r.risk is None, -(r.risk or 0.0), order.get(r.case_id, len(order))
        ),
    )  # fmt: skip


def _top_decile(cases: dict[str, EvalCase], ordered: Sequence[CaseResult]) -> dict[str, Any]:
    top = (len(ordered) + 9) // 10  # ceil(10%), in integers
    # A hit is any case that is not benign: a violation to take down, or one the labels say
    # a person must decide (an injection attempt, a specialist's question).
    hits = [not cases[r.case_id].benign for r in ordered]
    precision, base = _rate(sum(hits[:top]), top), _rate(sum(hits), len(ordered))
    return {
        "escalated": len(ordered),
        "top": top,
        "precision": precision,
        "base_rate": base,
        "lift": round(precision / base, 3) if precision is not None and base else None,
    }


def queue_ranking(cases: dict[str, EvalCase], results: Sequence[CaseResult]) -> dict[str, Any]:
    """How well the queues' order puts the cases that need a person first, over the cases
    the run escalated.

    Precision is the share of the first ceil(10%) of escalations in serving order whose
    expected decision is not approve (violating, or labelled for a human); the base rate is
    that share of all of them, so benign listings escalated only for want of assurance
    should sink. Queues are reported on their own
    when they hold at least `QUEUE_MIN_CASES` escalations. When no escalation carries a
    queue (results written before escalations kept one) there is no serving order, and
    the precision is None.
    """
    order = {case_id: i for i, case_id in enumerate(cases)}
    ordered = queue_order(first_trials(results), order)
    if not any(r.queue for r in ordered):
        return {**_top_decile(cases, ordered), "top": 0, "precision": None, "lift": None, "per_queue": {}}
    per_queue = {
        name: _top_decile(cases, [r for r in ordered if r.queue == name])
        for name in sorted({r.queue for r in ordered if r.queue})
        if sum(1 for r in ordered if r.queue == name) >= QUEUE_MIN_CASES
    }
    return {**_top_decile(cases, ordered), "per_queue": per_queue}


def model_use(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Share of cases that needed a model, of verdicts that did, model calls, and the cost
    that verdicts settled without a model saved.

    A model agent plans every case with the model, so the share that matters is of
    verdicts: a case the risk screen settles is decided with no adjudicator call. The
    saving is the mean cost of the verdicts that called the model times the number of
    cases decided (not crashed) without one; None when no cost is known.
    """
    first = first_trials(results)
    needed = [r for r in first if r.model_calls > 0]
    deciding = [r for r in first if r.verdict_model_calls > 0]
    settled = sum(1 for r in first if r.verdict_model_calls == 0 and r.status != "failed")
    costs = [r.verdict_cost_usd for r in deciding if r.verdict_cost_usd is not None]
    return {
        "model_use_rate": _rate(len(needed), len(first)),
        "verdict_model_rate": _rate(len(deciding), len(first)),
        "model_calls_total": sum(r.model_calls for r in first),
        "cost_saved_usd": round(statistics.fmean(costs) * settled, 8) if costs else None,
    }


def aggregate(
    cases: dict[str, EvalCase], results: Sequence[CaseResult], *, clause_area: dict[str, str]
) -> dict[str, Any]:
    """Every KPI of a suite run (all trials pooled)."""
    done = [r for r in results if r.status != "failed"]
    violating = [r for r in results if cases[r.case_id].violating]
    benign = [r for r in results if cases[r.case_id].benign]
    scored = [score_case(cases[r.case_id], r) for r in results]
    means: dict[str, float | None] = {}
    for name in scored[0] if scored else {}:
        values = [s[name].value for s in scored if s[name].value is not None]
        means[name] = round(statistics.fmean(values), 4) if values else None
    priced = [r.cost_usd for r in results if r.cost_usd is not None]
    screen = screen_on_suite(cases, results)
    queues = queue_ranking(cases, results)
    return {
        "cases": len(cases),
        "results": len(results),
        "crashes": len(results) - len(done),
        "accuracy": _rate(
            sum(1 for r in results if r.decision == cases[r.case_id].expected.decision), len(results)
        ),
        "macro_f1": _macro_f1(cases, results),
        "false_approve_rate": _rate(sum(1 for r in violating if r.decision == "approve"), len(violating)),
        "false_reject_rate": _rate(
            sum(1 for r in benign if r.decision in ("reject", "restrict")), len(benign)
        ),
        "escalation_rate": _rate(sum(1 for r in done if r.escalated), len(done)),
        "automation_rate": _rate(sum(1 for r in done if not r.escalated), len(done)),
        "citation_precision": means.get("citation_precision"),
        "citation_recall": means.get("citation_recall"),
        "escalated_when_required": means.get("escalated_when_required"),
        "never_fail_open": means.get("never_fail_open"),
        "trajectory_subset": means.get("trajectory_subset"),
        "trajectory_unordered": means.get("trajectory_unordered"),
        "trajectory_strict": means.get("trajectory_strict"),
        "latency_p50_ms": _percentile([r.latency_ms for r in done], 0.5),
        "latency_p95_ms": _percentile([r.latency_ms for r in done], 0.95),
        "model_calls_per_case": round(statistics.fmean(r.model_calls for r in results), 3)
        if results
        else None,
        "tokens_per_case": round(statistics.fmean(r.tokens_in + r.tokens_out for r in results), 1)
        if results
        else None,
        "cost_per_case_usd": round(sum(priced) / len(results), 8) if priced else None,
        "trial_agreement": _agreement(results),
        **model_use(results),
        "screen_roc_auc": screen.pop("roc_auc"),
        "screen_average_precision": screen.pop("average_precision"),
        "screen_ece": screen.pop("ece"),
        "queue_top_decile_precision": queues.pop("precision"),
        "queue_base_rate": queues.pop("base_rate"),
        "screen": screen,
        "queues": queues,
        "per_area": _per_area(cases, results, clause_area),
        "confusion": confusion(cases, results),
    }
