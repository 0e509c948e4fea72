"""One pytest test per eval case: it fails when the outcome differs from the ground truth."""

from __future__ import annotations

from auditgraph.evals.dataset import EvalCase
from auditgraph.evals.runner import audit_case
from auditgraph.workflows import Auditor


def test_case_outcome(eval_case: EvalCase, eval_auditor: Auditor) -> None:
    result = audit_case(eval_auditor, eval_case, trial=1)
    expected = eval_case.expected
    assert result.status != "failed", result.error
    assert result.decision == expected.decision, (
        f"expected {expected.decision} {expected.clause_ids}, got {result.decision} {result.clause_ids} "
        f"({', '.join(result.escalation_reasons) or 'no escalation'}); trace: auditgraph trace {result.run_id}"
    )
