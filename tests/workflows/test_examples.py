"""Every bundled example case gets its expected outcome from the rules agent."""

from __future__ import annotations

import pytest

from auditgraph.workflows import Auditor
from tests.conftest import CASES, EXPECTED, load_case


def test_every_case_file_has_an_expectation() -> None:
    files = {p.stem for p in CASES.glob("*.json")}
    assert files == set(EXPECTED), "data/cases/*.json and expected.yaml must list the same cases"
    assert len(files) >= 12


def test_the_examples_cover_every_kind_and_outcome() -> None:
    assert {e["kind"] for e in EXPECTED.values()} == {"listing_review", "seller_appeal", "ip_report"}
    assert {e["decision"] for e in EXPECTED.values()} == {"approve", "reject", "restrict", "escalate"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_case_outcome(auditor: Auditor, name: str) -> None:
    expected = EXPECTED[name]
    outcome = auditor.audit(load_case(name))
    assert outcome.verdict is not None
    if expected["decision"] == "escalate":
        assert outcome.status == "awaiting_review"
        assert outcome.decision is None
        assert outcome.escalation is not None
        assert outcome.escalation.queue == expected["queue"]
        assert outcome.escalation.reasons == expected["reasons"]
        assert outcome.verdict.clause_ids == expected["clause_ids"]
    else:
        assert outcome.status == "completed"
        assert outcome.decision is not None
        assert outcome.decision.decision == expected["decision"]
        assert outcome.decision.clause_ids == expected["clause_ids"]
        assert outcome.decision.decided_by == "agent"
    run = auditor.store.get_run(outcome.run_id)
    assert run.status == outcome.status
    assert run.ended is not None


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e["decision"] != "approve"))
def test_enforcement_cites_only_retrieved_clauses(auditor: Auditor, name: str) -> None:
    outcome = auditor.audit(load_case(name))
    retrieval = next(
        s for s in auditor.store.steps(outcome.run_id) if s.kind == "tool" and s.node == "policy_retrieval"
    )
    retrieved = {c["clause_id"] for c in retrieval.output["clauses"]}
    assert outcome.verdict is not None
    assert set(outcome.verdict.clause_ids) <= retrieved


def test_rejection_carries_a_statement_of_reasons(auditor: Auditor) -> None:
    outcome = auditor.audit(load_case("switchblade_collector"))
    assert outcome.decision is not None
    statement = outcome.decision.statement_of_reasons
    assert statement is not None
    assert "WPN-4" in statement
    assert "automated means" in statement
    assert "appeal" in statement


def test_approval_has_no_statement_of_reasons(auditor: Auditor) -> None:
    outcome = auditor.audit(load_case("kitchen_knife_set"))
    assert outcome.decision is not None
    assert outcome.decision.decision == "approve"
    assert outcome.decision.statement_of_reasons is None
