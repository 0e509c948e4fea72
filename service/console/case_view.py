"""What the case page shows of a run, read from the record: the case, the evidence each
tool gathered, the agent's verdict, the guard, the escalation and its lease, the
reviews, the timeline and the seller's other runs.

Everything here is data for a template: seller and reviewer text stays text (the
templates escape it), and each step's input and output are pretty-printed JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from auditgraph.store.base import RunNotFound
from auditgraph.store.leases import Lease, LeaseStore
from auditgraph.store.preferences import PreferenceStore
from auditgraph.store.records import TraceStep
from auditgraph.store.search import RunFilter
from auditgraph.workflows.trace_contract import recorded_guard, recorded_tool_outputs, recorded_verdict

__all__ = ["MAX_PAYLOAD_CHARS", "OTHER_RUNS", "StepView", "case_view", "clause_keys"]

MAX_PAYLOAD_CHARS = 20_000
"""A step's input or output shown on the page at most (the whole is in `trace --json`)."""
OTHER_RUNS = 10
"""The seller's other runs listed, newest first."""
CLAUSE_KEYS = "abcdfghijklmopqstuvwxyz"
"""The keys that open the retrieved clauses, in order (e, n and r are taken by other keys)."""


@dataclass(frozen=True)
class StepView:
    """One row of the timeline."""

    seq: int
    node: str
    kind: str
    child: bool
    duration_ms: float
    attempt: int
    model: str | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    error: str | None
    input: str
    output: str


def case_view(state: Any, run_id: str, viewer: str) -> dict[str, Any] | None:
    """Everything the case page of `run_id` shows to `viewer`; None if there is no run."""
    store = state.store
    try:
        run, escalation, reviews, decisions = store.run_records(run_id)
    except RunNotFound:
        return None
    steps = store.steps(run_id)
    case = store.get_case(run_id) or {}
    listing = case.get("listing") or {}
    evidence = _evidence(steps)
    lease = LeaseStore(store.engine).lease_of(escalation.escalation_id) if escalation is not None else None
    clauses = [c for c in (evidence.get("policy_retrieval") or {}).get("clauses") or [] if c.get("clause_id")]
    open_for_review = (
        run.status == "awaiting_review" and escalation is not None and escalation.status == "open"
    )
    return {
        "run": run,
        "case": case,
        "listing": listing,
        "images": _images(listing, evidence.get("image_check") or {}),
        "seller": evidence.get("seller_history"),
        "clauses": clause_keys(clauses),
        "findings": (evidence.get("text_screen") or {}).get("findings") or [],
        "verdict": recorded_verdict(steps),
        "guard": recorded_guard(steps),
        "escalation": escalation,
        "lease": lease,
        "reviews": reviews,
        "decision": decisions[-1] if decisions else None,
        "timeline": [_step(s) for s in steps],
        "totals": _totals(steps),
        "other_runs": _other_runs(store, listing.get("seller_id"), run_id),
        "preferences": PreferenceStore(store.engine).of(viewer),
        "open_for_review": open_for_review,
        "held_by_other": _held_by_other(lease, viewer),
        "digest": state.auditor.review_digest(run_id) if open_for_review else None,
    }


def clause_keys(clauses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The clauses with the key that opens each (the first len(CLAUSE_KEYS) get one)."""
    return [{**c, "key": CLAUSE_KEYS[i] if i < len(CLAUSE_KEYS) else None} for i, c in enumerate(clauses)]


def _evidence(steps: list[TraceStep]) -> dict[str, dict[str, Any]]:
    """The output of each tool the page shows, by tool name (its last call's)."""
    shown = ("policy_retrieval", "image_check", "seller_history", "text_screen")
    return {tool: found[-1] for tool in shown if (found := recorded_tool_outputs(steps, tool))}


def _images(listing: dict[str, Any], check: dict[str, Any]) -> list[dict[str, Any]]:
    """The listing's images in order, each with what the image check found of it."""
    found = {i.get("ref"): i for i in check.get("images") or [] if isinstance(i, dict)}
    shown = []
    for index, ref in enumerate(listing.get("images") or []):
        result = found.get(ref) or {}
        shown.append(
            {
                "index": index,
                "ref": str(ref),
                "status": result.get("status", "not checked"),
                "matches": result.get("matches") or [],
                "reused_by": result.get("reused_by") or [],
                "text": ((result.get("ocr") or {}).get("text") or "").strip(),
                "error": result.get("error"),
            }
        )
    return shown


def _step(step: TraceStep) -> StepView:
    return StepView(
        seq=step.seq,
        node=step.node,
        kind=step.kind,
        child=step.parent_id is not None,
        duration_ms=step.duration_ms,
        attempt=step.attempt,
        model=step.model,
        tokens_in=step.tokens_in,
        tokens_out=step.tokens_out,
        cost_usd=step.cost_usd,
        error=step.error,
        input=_pretty(step.input),
        output=_pretty(step.output),
    )


def _pretty(payload: dict[str, Any] | None) -> str:
    if payload is None:
        return ""
    text = json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    if len(text) > MAX_PAYLOAD_CHARS:
        cut = len(text) - MAX_PAYLOAD_CHARS
        return f"{text[:MAX_PAYLOAD_CHARS]}\n… {cut:,} more characters (auditgraph trace --json has all)"
    return text


def _totals(steps: list[TraceStep]) -> dict[str, Any]:
    """The run's model calls, tokens and cost, and its time from first to last step."""
    # A decider call counts when it used tokens, as the metrics and the KPIs count them:
    # the offline rules agent's model steps call no model.
    calls = [s for s in steps if s.kind == "model" and (s.tokens_in or s.tokens_out)]
    return {
        "model_calls": len(calls),
        "tokens": sum((s.tokens_in or 0) + (s.tokens_out or 0) for s in steps),
        "cost_usd": sum(s.cost_usd or 0.0 for s in steps),
        "elapsed_ms": (steps[-1].ended - steps[0].started).total_seconds() * 1000 if steps else 0.0,
    }


def _other_runs(store: Any, seller_id: Any, run_id: str) -> list[Any]:
    if not seller_id:
        return []
    found = store.search_runs(RunFilter(seller_id=str(seller_id)), limit=OTHER_RUNS + 1)
    return [r for r in found if r.run_id != run_id][:OTHER_RUNS]


def _held_by_other(lease: Lease | None, viewer: str) -> str | None:
    """Who else holds the case now, if anyone."""
    if lease is None or lease.expired or lease.holder == viewer:
        return None
    return lease.holder
