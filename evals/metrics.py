"""Suite-level KPIs from per-case results: what a moderation lead reads before a change ships."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from auditgraph.evals.dataset import EvalCase
from auditgraph.evals.results import CaseResult
from auditgraph.evals.scorers import score_case

__all__ = ["DECISIONS", "aggregate", "confusion"]

DECISIONS = ("approve", "reject", "restrict", "escalate")


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
        "per_area": _per_area(cases, results, clause_area),
        "confusion": confusion(cases, results),
    }
