"""Failures never become approvals: failed tools, bad citations, bad cases, crashing nodes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from auditgraph.agents import Agent, EvidenceSet, Verdict
from auditgraph.agents.planner import RulesPlanner
from auditgraph.tools.case import CaseError
from auditgraph.tools.image_check import ImageChecker, ImageProblem
from auditgraph.tools.retry import BackendUnavailable
from auditgraph.tools.seller_history import SellerRecord
from auditgraph.workflows import AuditFailed, Auditor
from tests.conftest import load_case


class DownSellers:
    """A seller backend whose store is unreachable."""

    def get(self, seller_id: str) -> SellerRecord | None:
        raise BackendUnavailable("OperationalError: database is locked (after 3 attempts)")


class BrokenSellers:
    """A seller backend with a bug in it."""

    def get(self, seller_id: str) -> SellerRecord | None:
        raise KeyError("region")


class DownImages:
    """An image source that times out."""

    def read(self, ref: str) -> bytes:
        raise BackendUnavailable("TimeoutError: image store did not answer in 5 s")


class ScriptedAdjudicator:
    """Returns a fixed verdict, whatever the evidence."""

    version = "scripted/1"

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict

    def adjudicate(self, case: object, evidence: EvidenceSet) -> Verdict:
        return self.verdict


def _scripted(verdict: Verdict) -> Agent:
    return Agent(kind="scripted", planner=RulesPlanner(), adjudicator=ScriptedAdjudicator(verdict))


@pytest.mark.parametrize(
    "case", ["kitchen_knife_set", "ip_report_authorized_reseller", "appeal_claims_removed"]
)
def test_failing_seller_tool_never_yields_approve(make_auditor: Callable[..., Auditor], case: str) -> None:
    auditor = make_auditor(sellers=DownSellers())
    outcome = auditor.audit(load_case(case))
    assert outcome.status == "awaiting_review"
    assert outcome.decision is None
    assert outcome.escalation is not None
    assert "tool_unavailable:seller_history" in outcome.escalation.reasons
    tool = next(s for s in auditor.store.steps(outcome.run_id) if s.node == "seller_history")
    assert tool.output["status"] == "unavailable"
    assert "database is locked" in tool.error


def test_failing_image_source_never_yields_approve(make_auditor: Callable[..., Auditor]) -> None:
    base = make_auditor()
    checker = ImageChecker(DownImages(), base.toolset.images.bank)
    auditor = make_auditor(images=checker)
    outcome = auditor.audit(load_case("kitchen_knife_set"))
    assert outcome.escalation is not None
    assert outcome.escalation.reasons[0] == "tool_unavailable:image_check"


def test_a_scripted_approve_is_stopped_when_a_tool_failed(make_auditor: Callable[..., Auditor]) -> None:
    approve = Verdict(decision="approve", confidence=0.99, rationale="looks fine")
    auditor = make_auditor(agent=_scripted(approve), sellers=DownSellers())
    outcome = auditor.audit(load_case("kitchen_knife_set"))
    assert outcome.guard is not None
    assert outcome.guard.reasons == ["approve_on_incomplete_evidence"]
    assert outcome.escalation is not None and outcome.escalation.agent_decision == "approve"


def test_citation_that_was_not_retrieved_is_rejected_by_the_guard(
    make_auditor: Callable[..., Auditor],
) -> None:
    # ADL-3 exists in the pack but nothing about a kitchen knife set retrieves it.
    reject = Verdict(decision="reject", clause_ids=["ADL-3"], confidence=0.95, rationale="made up")
    auditor = make_auditor(agent=_scripted(reject))
    outcome = auditor.audit(load_case("kitchen_knife_set"))
    assert outcome.decision is None
    assert outcome.guard is not None
    assert "citation_not_retrieved" in outcome.guard.reasons
    check = next(c for c in outcome.guard.checks if c.rule == "citation_not_retrieved")
    assert "ADL-3" in check.detail


def test_uncited_rejection_is_rejected_by_the_guard(make_auditor: Callable[..., Auditor]) -> None:
    reject = Verdict(decision="reject", confidence=0.95, rationale="no grounds given")
    auditor = make_auditor(agent=_scripted(reject))
    outcome = auditor.audit(load_case("kitchen_knife_set"))
    assert outcome.guard is not None and outcome.guard.reasons == ["uncited_decision"]


def test_low_confidence_on_a_critical_area_goes_to_a_human(make_auditor: Callable[..., Auditor]) -> None:
    reject = Verdict(
        decision="reject", clause_ids=["WLD-1"], confidence=0.6, rationale="unsure", areas=["wildlife"]
    )
    auditor = make_auditor(agent=_scripted(reject))
    outcome = auditor.audit(load_case("ivory_antique_figure"))
    assert outcome.guard is not None
    assert outcome.guard.severity == "critical"
    assert outcome.guard.reasons == ["low_confidence_high_severity"]
    assert outcome.escalation is not None and outcome.escalation.priority == 1


def test_injection_forces_a_human_even_for_a_confident_model(make_auditor: Callable[..., Auditor]) -> None:
    approve = Verdict(decision="approve", confidence=0.99, rationale="the listing says it is compliant")
    auditor = make_auditor(agent=_scripted(approve))
    outcome = auditor.audit(load_case("injection_in_description"))
    assert outcome.decision is None
    assert outcome.guard is not None and "injection_attempt" in outcome.guard.reasons
    nodes = [s.node for s in auditor.store.steps(outcome.run_id) if s.kind == "node"]
    assert nodes[:2] == ["intake", "plan"]
    assert nodes[-3:] == ["guard", "escalate", "await_review"]


def test_malformed_case_is_refused_at_intake_and_nothing_is_written(
    make_auditor: Callable[..., Auditor],
) -> None:
    auditor = make_auditor()
    bad = load_case("kitchen_knife_set")
    del bad["listing"]["seller_id"]
    with pytest.raises(CaseError, match=r"listing\.seller_id is missing"):
        auditor.audit(bad)
    assert auditor.store.list_runs() == []


def test_a_bug_in_a_tool_marks_the_run_failed_not_approved(make_auditor: Callable[..., Auditor]) -> None:
    auditor = make_auditor(sellers=BrokenSellers())
    with pytest.raises(AuditFailed) as failure:
        auditor.audit(load_case("kitchen_knife_set"))
    run = auditor.store.get_run(failure.value.run_id)
    assert run.status == "failed"
    assert run.decision is None
    assert "KeyError" in (run.error or "")
    crashed = [s for s in auditor.store.steps(run.run_id) if s.error and s.kind == "node"]
    assert [s.node for s in crashed] == ["check_seller_history"]
    assert auditor.store.decisions(run.run_id) == []


def test_missing_and_unreadable_images_are_evidence_not_crashes(auditor: Auditor) -> None:
    case = load_case("kitchen_knife_set")
    case["listing"]["images"] = ["listings/nope.png", "broken/truncated.png", "../../pyproject.toml"]
    outcome = auditor.audit(case)
    assert outcome.escalation is not None
    statuses = {r.split(":", 1)[0] for r in outcome.escalation.reasons}
    assert statuses == {"image_missing", "image_unreadable", "image_blocked"}


def test_image_problem_statuses_are_the_documented_ones() -> None:
    assert ImageProblem("missing", "x").status == "missing"
