"""Reading runs for the API: blocking functions, run in the read pool."""

from __future__ import annotations

from typing import Any

from auditgraph.service.api.models import Dispatch, RunDetail, Trace, TraceClauses, Verification
from auditgraph.service.api.state import ApiState
from auditgraph.store.chain import review_digest
from auditgraph.store.integrity import verify_store
from auditgraph.store.records import RunRecord
from auditgraph.store.search import RunCursor, RunFilter
from auditgraph.tools.policy_retrieval import PolicyPackError
from auditgraph.workflows.trace_contract import recorded_guard, recorded_verdict

__all__ = ["links", "matching_runs", "run_detail", "run_trace", "run_verification"]


def matching_runs(
    state: ApiState, filters: RunFilter, limit: int, after: RunCursor | None
) -> list[RunRecord]:
    """Up to `limit` runs matching `filters`, newest first, after the cursor's run."""
    return state.store.search_runs(filters, limit=limit, after=after)


def links(run: RunRecord, *, restricting: bool) -> dict[str, str]:
    """Where to go next from a run."""
    base = f"/v1/runs/{run.run_id}"
    found = {"self": base, "trace": f"{base}/trace", "verify": f"{base}/verify"}
    if run.status == "awaiting_review":
        found["review"] = f"{base}/review"
    if restricting:
        found["statement_of_reasons"] = f"{base}/statement-of-reasons"
    return found


def run_detail(state: ApiState, run_id: str) -> RunDetail:
    """A run, its verdict, guard, escalation, reviews, final decision and review digest.

    Raises:
        RunNotFound: no run has that id.
    """
    store = state.store
    run, escalation, reviews, decisions = store.run_records(run_id)
    # Only the steps the answer quotes: a trace's payloads are most of its size.
    quoted = store.steps(run_id, kinds=("model", "guard"))
    final = decisions[-1] if decisions else None
    restricting = run.status == "completed" and final is not None and final.decision in ("reject", "restrict")
    reviewable = run.status == "awaiting_review" and escalation is not None and escalation.status == "open"
    return RunDetail(
        run=run,
        verdict=recorded_verdict(quoted),
        guard=recorded_guard(quoted),
        escalation=escalation,
        reviews=reviews,
        decision_record=final,
        review_digest=review_digest(run, escalation) if reviewable and escalation is not None else None,
        dispatch=_dispatch(state, run_id),
        links=links(run, restricting=restricting),
    )


def _dispatch(state: ApiState, run_id: str) -> Dispatch | None:
    """The run's dispatch row, when the deployment has workers (one indexed read)."""
    if state.dispatcher is None:
        return None
    row = state.dispatcher.store.get(run_id)
    return None if row is None else Dispatch.model_validate(row)


def run_trace(state: ApiState, run_id: str) -> Trace:
    """Every step of a run and its records, with the clauses its decisions cite.

    Raises:
        RunNotFound: no run has that id.
    """
    store = state.store
    run = store.get_run(run_id)
    reviews, decisions = store.reviews(run_id), store.decisions(run_id)
    cited = list(dict.fromkeys(c for record in [*reviews, *decisions] for c in record.clause_ids))
    found: dict[str, dict[str, Any]] = {}
    problem = None
    try:
        pack = state.auditor.toolset.packs.pack(run.policy_version)
    except PolicyPackError as exc:
        problem = f"policy pack {run.policy_version} cannot be opened: {exc}"
    else:
        for clause_id in cited:
            clause = pack.clause(clause_id)
            if clause is None:
                problem = f"clause {clause_id} is not in policy pack {run.policy_version}"
            else:
                found[clause_id] = clause.model_dump(mode="json")
    return Trace(
        run=run,
        steps=store.steps(run_id),
        escalation=store.escalation(run_id),
        reviews=reviews,
        decisions=decisions,
        clauses=TraceClauses(policy_version=run.policy_version, found=found, problem=problem),
    )


def run_verification(state: ApiState, run_id: str) -> Verification:
    """Check one run's chain, rows and signed log entry, as `auditgraph trace verify` does.

    Raises:
        RunNotFound: no run has that id.
    """
    state.store.get_run(run_id)
    checked = bool(state.trusted.keys)
    results = verify_store(state.store, run_id=run_id, trusted=state.trusted if checked else None)
    mine = next(r for r in results if r.run_id == run_id)
    problems = [p for r in results for p in r.problems]
    return Verification(
        run_id=run_id,
        ok=not problems,
        steps=mine.steps,
        head=mine.head,
        problems=problems,
        signatures_checked=checked,
    )
