"""Approval only on positive assurance, with the shipped risk screen: what clears a
listing, what the screen decides alone, what it sends to a person and how it ranks them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from auditgraph.agents import Agent, EvidenceSet, Verdict, rules_agent
from auditgraph.agents.planner import RulesPlanner
from auditgraph.agents.screen import E5Embedder, ScreenScorer
from auditgraph.tools.risk_screen import AreaProbability, RiskScreenEvidence
from auditgraph.workflows import Auditor
from tests.conftest import SCREEN, load_case


@pytest.fixture(scope="module")
def scorer() -> ScreenScorer:
    return ScreenScorer(SCREEN, E5Embedder())


@pytest.fixture
def screened(make_auditor: Callable[..., Auditor], scorer: ScreenScorer) -> Auditor:
    """The default agent: rules with the shipped screen."""
    return make_auditor(agent=rules_agent(risk_screen=True), screen=scorer)


def _listing(title: str, description: str, **listing: Any) -> dict[str, Any]:
    """The kitchen knife case (a known clean seller, a checked image) with other words."""
    case = copy.deepcopy(load_case("kitchen_knife_set"))
    case["listing"].update(title=title, description=description, images=[], **listing)
    return case


def _screen_step(auditor: Auditor, run_id: str) -> dict[str, Any]:
    [step] = [s for s in auditor.store.steps(run_id) if s.kind == "tool" and s.node == "risk_screen"]
    return step.output


def test_a_listing_the_screen_clears_is_approved_and_says_so(screened: Auditor) -> None:
    outcome = screened.audit(_listing("Cotton bath towels, set of 4", "Soft 600 gsm cotton towels in grey."))
    assert outcome.decision is not None and outcome.decision.decision == "approve"
    screen = _screen_step(screened, outcome.run_id)
    assert screen["violation"] < screen["approve_below"]
    assert outcome.verdict is not None and "Cleared by the risk screen" in outcome.verdict.rationale
    assert "risk_screen:violation" in outcome.verdict.evidence_refs


def test_the_screen_rejects_alone_citing_the_clause_the_words_match(screened: Auditor) -> None:
    # No lexicon term fires on this wording; the screen is confident and retrieval finds the clause.
    case = _listing(
        "Herbal cleanse drink - passes any urine test in 2 hours",
        "Same day detox, clean for your employer test or money back. Discreet parcel.",
    )
    outcome = screened.audit(case)
    screen = _screen_step(screened, outcome.run_id)
    assert screen["violation"] >= screen["decide_at"]
    assert outcome.decision is not None
    assert (outcome.decision.decision, outcome.decision.clause_ids) == ("reject", ["DRG-5"])
    assert outcome.verdict is not None and "risk screen" in outcome.verdict.rationale


def test_a_listing_the_screen_does_not_clear_goes_to_a_person_ranked_by_its_risk(
    screened: Auditor,
) -> None:
    # A supplement with no rule signal: the screen is unsure, so no approval.
    case = _listing("Vitamin C 500 mg tablets, 100 count", "Vitamin C for the immune system. One a day.")
    outcome = screened.audit(case)
    screen = _screen_step(screened, outcome.run_id)
    assert screen["approve_below"] <= screen["violation"] < screen["decide_at"]
    assert outcome.status == "awaiting_review" and outcome.escalation is not None
    top = screen["areas"][0]["area"]
    assert outcome.escalation.reasons == [f"screen_risk:{top}"]
    assert outcome.escalation.risk == pytest.approx(screen["violation"], abs=1e-4)
    cleared = screened.audit(_listing("Cotton bath towels, set of 4", "Soft cotton towels."))
    assert cleared.decision is not None and cleared.decision.decision == "approve"


def test_the_queue_puts_the_riskier_of_two_cases_in_one_area_first(
    make_auditor: Callable[..., Auditor],
) -> None:
    class ByTitle(Reading):
        def assess(self, text: str) -> RiskScreenEvidence:
            self.violation = 0.85 if text.startswith("Torch") else 0.3
            return super().assess(text)

    auditor = _read_by(make_auditor, ByTitle(0.0, ("hazardous_goods", 0.6)))
    low = auditor.audit(_listing("Camping lantern, 300 lumen", "Runs on three AA batteries."))
    high = auditor.audit(_listing("Torch lighter, refillable", "Jet flame, ships with a full canister."))
    assert low.escalation is not None and high.escalation is not None
    assert (low.escalation.risk, high.escalation.risk) == (0.3, 0.85)
    assert high.escalation.priority <= low.escalation.priority
    order = [e.run_id for e in auditor.store.open_escalations()]
    assert order == [high.run_id, low.run_id]


class _Approves:
    """A decider that approves whatever it is shown."""

    version = "approves/1"

    def adjudicate(self, case: object, evidence: EvidenceSet) -> Verdict:
        return Verdict(decision="approve", confidence=0.99, rationale="looks fine to me")


def test_the_guard_refuses_an_approval_the_screen_does_not_clear(
    make_auditor: Callable[..., Auditor], scorer: ScreenScorer
) -> None:
    agent = Agent(kind="scripted", planner=RulesPlanner(risk_screen=True), adjudicator=_Approves())
    auditor = make_auditor(agent=agent, screen=scorer)
    outcome = auditor.audit(_listing("Mystery box of mixed items", "Could be anything inside."))
    assert outcome.guard is not None and outcome.guard.reasons == ["approve_above_screen_threshold"]
    check = next(c for c in outcome.guard.checks if c.rule == "approve_above_screen_threshold")
    assert "approval threshold" in check.detail
    assert outcome.escalation is not None and outcome.escalation.agent_decision == "approve"
    clean = auditor.audit(_listing("Cotton bath towels, set of 4", "Soft cotton towels."))
    assert clean.decision is not None and clean.decision.decision == "approve"


def test_a_screen_answer_without_thresholds_assures_nothing(make_auditor: Callable[..., Auditor]) -> None:
    class Bare:
        def assess(self, text: str) -> RiskScreenEvidence:
            return RiskScreenEvidence(
                version="bare", violation=0.0, areas=[AreaProbability(area="weapons", probability=0.0)]
            )

    auditor = make_auditor(agent=rules_agent(risk_screen=True), screen=Bare())
    outcome = auditor.audit(_listing("Cotton bath towels, set of 4", "Soft cotton towels."))
    assert outcome.escalation is not None
    assert "no_screen_assurance" in outcome.escalation.reasons


def test_the_bundled_screened_case_is_rejected_on_the_screens_evidence_alone(screened: Auditor) -> None:
    outcome = screened.audit(load_case("cleanse_drink_screened"))
    steps = {s.node: s.output for s in screened.store.steps(outcome.run_id) if s.kind == "tool"}
    assert steps["text_screen"]["findings"] == []  # no rule signal to decide on
    assert steps["risk_screen"]["violation"] >= steps["risk_screen"]["decide_at"]
    assert outcome.decision is not None and outcome.decision.decision == "reject"
    assert outcome.verdict is not None and outcome.verdict.evidence_refs == ["risk_screen:violation"]


class Reading:
    """A screen that reads every listing the same way: the adjudicator's side of the contract."""

    def __init__(self, violation: float, *areas: tuple[str, float]) -> None:
        self.violation, self.areas = violation, areas

    def assess(self, text: str) -> RiskScreenEvidence:
        return RiskScreenEvidence(
            version="reading", sha256="0" * 64, violation=self.violation,
            areas=[AreaProbability(area=a, probability=p) for a, p in self.areas],  # type: ignore[arg-type]
            approve_below=0.1, decide_at=0.95,
        )  # fmt: skip


def _read_by(make_auditor: Callable[..., Auditor], screen: Reading) -> Auditor:
    return make_auditor(agent=rules_agent(screen=screen), screen=screen)


def test_a_screen_sure_of_an_area_gets_that_area_retrieved_and_cited(
    make_auditor: Callable[..., Auditor],
) -> None:
    # Words no clause shares (slang in another language): only the screen knows the area.
    auditor = _read_by(make_auditor, Reading(0.99, ("drugs", 0.9)))
    outcome = auditor.audit(_listing("nieve colombiana de fiesta", "calidad top, envío discreto"))
    plan = next(s for s in auditor.store.steps(outcome.run_id) if s.node == "planner")
    assert "risk screen finds likely: drugs" in plan.output["rationale"]
    assert outcome.decision is not None
    assert (outcome.decision.decision, outcome.decision.clause_ids) == ("reject", ["DRG-1"])


def test_a_clause_kept_under_its_first_area_is_cited_for_the_finer_area_it_governs(
    make_auditor: Callable[..., Auditor],
) -> None:
    # Ammunition is WPN-3 (weapons), which also governs the firearms area the screen names.
    auditor = _read_by(make_auditor, Reading(0.99, ("firearms", 0.9)))
    outcome = auditor.audit(
        _listing("9mm ammunition, 500 rounds", "Brass cased, factory new, in boxes of 50.")
    )
    assert outcome.decision is not None and outcome.decision.clause_ids == ["WPN-3"]


def test_a_screen_sure_of_a_violation_but_not_of_its_kind_sends_it_to_a_person(
    make_auditor: Callable[..., Auditor],
) -> None:
    reading = Reading(0.99, ("misleading_claims", 0.28), ("stolen_goods", 0.2), ("gambling", 0.1))
    auditor = _read_by(make_auditor, reading)
    outcome = auditor.audit(_listing("Unboxed phone, sold as seen", "No charger."))
    assert outcome.status == "awaiting_review" and outcome.escalation is not None
    assert outcome.escalation.reasons == ["screen_risk:misleading_claims"]
    assert outcome.escalation.risk == pytest.approx(0.99)
