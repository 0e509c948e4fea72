"""Compare two eval reports of the same suite: every KPI side by side, and the flipped cases.

Cases are paired (same case, two configurations), so significance comes from McNemar's
exact test on the cases one configuration got right and the other wrong.
"""

from __future__ import annotations

from math import comb
from typing import Any, NamedTuple

__all__ = ["Comparison", "compare_reports", "mcnemar_p"]


class Comparison(NamedTuple):
    """The outcome of comparing report A with report B."""

    metrics: list[tuple[str, Any, Any, float | None]]
    """(metric, A, B, B - A)."""
    flipped: list[dict[str, Any]]
    """Cases right in one report and wrong in the other."""
    fixed: int
    broken: int
    p_value: float | None
    note: str


def mcnemar_p(fixed: int, broken: int) -> float | None:
    """Two-sided exact McNemar p-value for `fixed` vs `broken` discordant pairs."""
    n = fixed + broken
    if n == 0:
        return None
    tail = sum(comb(n, k) for k in range(min(fixed, broken) + 1)) / 2**n
    return round(min(1.0, 2 * tail), 4)


def _first(case: dict[str, Any]) -> dict[str, Any] | None:
    return case["results"][0] if case["results"] else None


def compare_reports(a: dict[str, Any], b: dict[str, Any]) -> Comparison:
    """Compare report `a` (before) with report `b` (after)."""
    metrics = []
    for key, value_a in a["aggregates"].items():
        value_b = b["aggregates"].get(key)
        if isinstance(value_a, dict) or isinstance(value_b, dict):
            continue
        delta = (
            round(value_b - value_a, 4)
            if isinstance(value_a, int | float) and isinstance(value_b, int | float)
            else None
        )
        metrics.append((key, value_a, value_b, delta))
    cases_b = {c["id"]: c for c in b["cases"]}
    flipped = []
    for case in a["cases"]:
        other = cases_b.get(case["id"])
        ra, rb = _first(case), _first(other) if other else None
        if ra is None or rb is None:
            continue
        expected = case["expected"]["decision"]
        right_a, right_b = ra["decision"] == expected, rb["decision"] == expected
        if right_a != right_b or ra["decision"] != rb["decision"]:
            flipped.append(
                {
                    "id": case["id"],
                    "expected": expected,
                    "a": ra["decision"],
                    "b": rb["decision"],
                    "change": "fixed"
                    if right_b and not right_a
                    else "broken"
                    if right_a and not right_b
                    else "changed",
                    "run_a": ra["run_id"],
                    "run_b": rb["run_id"],
                }
            )
    fixed = sum(1 for f in flipped if f["change"] == "fixed")
    broken = sum(1 for f in flipped if f["change"] == "broken")
    p = mcnemar_p(fixed, broken)
    if p is None:
        note = "No case changed correctness."
    elif fixed + broken < 25:
        note = (
            f"Only {fixed + broken} case(s) changed correctness: too few to tell a real change from noise "
            f"(exact McNemar p = {p})."
        )
    else:
        note = f"{fixed} fixed, {broken} broken; exact McNemar p = {p} ({'significant' if p < 0.05 else 'not significant'} at 0.05)."
    return Comparison(metrics, flipped, fixed, broken, p, note)
