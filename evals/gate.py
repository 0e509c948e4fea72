"""The regression gate: a committed baseline per suite, and tolerances on critical metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, NamedTuple

__all__ = ["BASELINES", "CRITICAL", "GateRow", "check", "make_baseline"]

BASELINES = Path(__file__).resolve().parent / "baselines"

CRITICAL: dict[str, tuple[Literal["max", "min"], float]] = {
    "false_approve_rate": ("max", 0.0),
    "citation_precision": ("min", 0.02),
    "crashes": ("max", 0.0),
    "escalated_when_required": ("min", 0.02),
    "false_reject_rate": ("max", 0.02),
}
"""metric -> (which way is worse, tolerance). "max": may not rise above baseline + tolerance."""


class GateRow(NamedTuple):
    """One critical metric checked against its baseline."""

    metric: str
    baseline: float | None
    current: float | None
    tolerance: float
    ok: bool


def make_baseline(report: dict[str, Any]) -> dict[str, Any]:
    """A baseline file's content, from a report."""
    spec = report["spec"]
    return {
        "suite": spec["suite"],
        "agent": spec["agent"],
        "policy_version": spec["policy_version"],
        "git_sha": spec.get("git_sha"),
        "metrics": {m: report["aggregates"].get(m) for m in CRITICAL},
        "tolerances": {m: t for m, (_, t) in CRITICAL.items()},
    }


def check(report: dict[str, Any], baseline: dict[str, Any]) -> list[GateRow]:
    """Every critical metric of `report` against `baseline`."""
    rows = []
    for metric, (worse, default) in CRITICAL.items():
        base = baseline["metrics"].get(metric)
        tolerance = float(baseline.get("tolerances", {}).get(metric, default))
        current = report["aggregates"].get(metric)
        if base is None or current is None:
            ok = base is None or current is not None
        elif worse == "max":
            ok = current <= base + tolerance + 1e-9
        else:
            ok = current >= base - tolerance - 1e-9
        rows.append(GateRow(metric, base, current, tolerance, ok))
    return rows


def load_json(path: Path) -> dict[str, Any]:
    """A report or baseline file."""
    return json.loads(path.read_text("utf-8"))
