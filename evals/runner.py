"""Run a suite: every case through the auditor, in parallel, resumable, trial by trial.

Results are appended to a JSON Lines file as each case finishes, so an interrupted run
resumes where it stopped (cases already there are not audited again). Every result keeps
its run id: `auditgraph trace RUN_ID` opens the whole audit.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from auditgraph.evals.dataset import EvalCase
from auditgraph.evals.results import CaseResult
from auditgraph.store.records import TraceStep
from auditgraph.tools.case import CaseError
from auditgraph.workflows import AuditFailed, Auditor

__all__ = ["audit_case", "load_results", "run_suite"]


def load_results(path: Path) -> list[CaseResult]:
    """Results already written by an earlier, possibly interrupted, run."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            try:
                out.append(CaseResult.model_validate_json(line))
            except ValueError:
                continue  # a line cut short by the interruption: that case runs again
    return out


def _screen(steps: Sequence[TraceStep]) -> tuple[float | None, str | None]:
    """(violation probability, most likely area) from the run's last answered risk_screen step."""
    answered = [
        s.output for s in steps
        if s.kind == "tool" and s.node == "risk_screen" and s.output and s.output.get("status") == "ok"
    ]  # fmt: skip
    if not answered:
        return None, None
    areas = answered[-1].get("areas") or []
    return answered[-1].get("violation"), areas[0].get("area") if areas else None


def audit_case(auditor: Auditor, case: EvalCase, trial: int) -> CaseResult:
    """Audit one case and read back what happened; a failure is a result, not an exception."""
    started = time.perf_counter()
    try:
        outcome = auditor.audit(case.input)
    except AuditFailed as exc:
        return CaseResult(case_id=case.id, trial=trial, run_id=exc.run_id, status="failed", decision=None,
                          latency_ms=(time.perf_counter() - started) * 1000, error=str(exc))  # fmt: skip
    except CaseError as exc:
        return CaseResult(
            case_id=case.id, trial=trial, run_id=None, status="failed", decision=None, error=str(exc)
        )
    latency = (time.perf_counter() - started) * 1000
    steps = auditor.store.steps(outcome.run_id)
    attempts = [s for s in steps if s.kind == "model" and s.input and "purpose" in s.input]
    costs = [s.cost_usd for s in attempts if s.cost_usd is not None]
    deciding = [s for s in attempts if s.input and s.input.get("purpose") in ("adjudicate", "repair")]
    deciding_costs = [s.cost_usd for s in deciding if s.cost_usd is not None]
    verdict = outcome.verdict
    decided = outcome.decision
    escalation = outcome.escalation
    violation, top_area = _screen(steps)
    return CaseResult(
        case_id=case.id,
        trial=trial,
        run_id=outcome.run_id,
        status=outcome.status,
        decision=decided.decision
        if decided
        else ("escalate" if outcome.status == "awaiting_review" else None),
        agent_decision=(verdict.proposed_decision or verdict.decision) if verdict else None,
        clause_ids=decided.clause_ids if decided else (verdict.clause_ids if verdict else []),
        escalation_reasons=escalation.reasons if escalation else [],
        tools=[s.node for s in steps if s.kind == "tool" and s.node != "escalation"],
        latency_ms=round(latency, 2),
        model_calls=len(attempts),
        tokens_in=sum(s.tokens_in or 0 for s in attempts),
        tokens_out=sum(s.tokens_out or 0 for s in attempts),
        cost_usd=round(sum(costs), 8) if costs else None,
        screen_violation=violation,
        screen_top_area=top_area,
        queue=escalation.queue if escalation else None,
        priority=escalation.priority if escalation else None,
        risk=escalation.risk if escalation else None,
        verdict_model_calls=len(deciding),
        verdict_cost_usd=round(sum(deciding_costs), 8) if deciding_costs else None,
    )


def run_suite(
    auditor: Auditor,
    cases: Sequence[EvalCase],
    *,
    results_path: Path,
    trials: int = 1,
    concurrency: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> list[CaseResult]:
    """Audit every case `trials` times, skipping (case, trial) pairs already in `results_path`."""
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results = load_results(results_path)
    done = {(r.case_id, r.trial) for r in results}
    todo = [(case, trial) for trial in range(1, trials + 1) for case in cases if (case.id, trial) not in done]
    lock = threading.Lock()
    total, finished = len(todo), 0
    with (
        results_path.open("a", encoding="utf-8") as sink,
        ThreadPoolExecutor(max_workers=concurrency) as pool,
    ):

        def one(item: tuple[EvalCase, int]) -> None:
            nonlocal finished
            result = audit_case(auditor, *item)
            with lock:
                sink.write(json.dumps(result.model_dump(mode="json")) + "\n")
                sink.flush()
                results.append(result)
                finished += 1
                if progress is not None:
                    progress(finished, total)

        list(pool.map(one, todo))
    wanted = {c.id for c in cases}
    return sorted((r for r in results if r.case_id in wanted), key=lambda r: (r.case_id, r.trial))
