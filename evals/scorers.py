"""Scorers: small functions `(case, result) -> Score`, one question each.

A score is 1.0 (right), 0.0 (wrong) or in between; `None` means the question does not
apply to this case (a benign case cannot be failed open).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from auditgraph.evals.dataset import EvalCase
from auditgraph.evals.results import CaseResult

__all__ = ["SCORERS", "Score", "score_case"]


class Score(NamedTuple):
    """A scorer's verdict on one result."""

    value: float | None
    explanation: str


def decision_match(case: EvalCase, result: CaseResult) -> Score:
    """The outcome equals the expected decision."""
    ok = result.decision == case.expected.decision
    return Score(float(ok), f"expected {case.expected.decision}, got {result.decision}")


def never_fail_open(case: EvalCase, result: CaseResult) -> Score:
    """A violating case, or one a human must see, is never approved (a crash is not an approval)."""
    if case.benign:
        return Score(None, "benign case")
    approved = result.decision == "approve"
    return Score(float(not approved), "approved a case that should not be" if approved else "not approved")


def escalated_when_required(case: EvalCase, result: CaseResult) -> Score:
    """A case that needs a human reaches one."""
    if not case.expected.human_required:
        return Score(None, "no human required")
    return Score(
        float(result.escalated), "escalated" if result.escalated else f"decided {result.decision} alone"
    )


def citation_precision(case: EvalCase, result: CaseResult) -> Score:
    """Share of cited clauses that the ground truth names (enforced violating cases only)."""
    if not case.violating or result.decision not in ("reject", "restrict") or not result.clause_ids:
        return Score(None, "no enforcement citations to check")
    right = set(result.clause_ids) & set(case.expected.clause_ids)
    return Score(
        len(right) / len(set(result.clause_ids)),
        f"cited {result.clause_ids}, expected {case.expected.clause_ids}",
    )


def citation_recall(case: EvalCase, result: CaseResult) -> Score:
    """Share of the expected clauses that were cited (violating cases the system enforced)."""
    if not case.violating or not case.expected.clause_ids or result.decision not in ("reject", "restrict"):
        return Score(None, "not an enforced violating case")
    right = set(result.clause_ids) & set(case.expected.clause_ids)
    return Score(len(right) / len(set(case.expected.clause_ids)), f"cited {result.clause_ids}")


def trajectory_subset(case: EvalCase, result: CaseResult) -> Score:
    """Every tool a sound audit needs was called (others may be too)."""
    if not case.expected.tools:
        return Score(None, "no expected tools")
    missing = sorted(set(case.expected.tools) - set(result.tools))
    return Score(float(not missing), f"missing {missing}" if missing else "all expected tools called")


def trajectory_unordered(case: EvalCase, result: CaseResult) -> Score:
    """Exactly the expected tools were called, in any order."""
    if not case.expected.tools:
        return Score(None, "no expected tools")
    ok = set(result.tools) == set(case.expected.tools)
    return Score(float(ok), f"called {sorted(set(result.tools))}")


def trajectory_strict(case: EvalCase, result: CaseResult) -> Score:
    """Exactly the expected tools, in the expected order."""
    if not case.expected.tools:
        return Score(None, "no expected tools")
    ok = list(result.tools) == list(case.expected.tools)
    return Score(float(ok), f"called {result.tools}")


SCORERS: dict[str, Callable[[EvalCase, CaseResult], Score]] = {
    "decision_match": decision_match,
    "never_fail_open": never_fail_open,
    "escalated_when_required": escalated_when_required,
    "citation_precision": citation_precision,
    "citation_recall": citation_recall,
    "trajectory_subset": trajectory_subset,
    "trajectory_unordered": trajectory_unordered,
    "trajectory_strict": trajectory_strict,
}


def score_case(case: EvalCase, result: CaseResult) -> dict[str, Score]:
    """Every scorer's verdict on one result."""
    return {name: scorer(case, result) for name, scorer in SCORERS.items()}
