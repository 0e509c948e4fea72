"""The rules agent's judgement on look-alikes and evasions, beyond the bundled examples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditgraph.workflows import Auditor
from tests.conftest import load_case


def _listing(title: str, description: str, category: str, **extra: Any) -> dict[str, Any]:
    case = load_case("kitchen_knife_set")
    case["listing"].update(title=title, description=description, category=category, images=[], **extra)
    return case


def test_replica_without_a_brand_is_not_an_automatic_counterfeit_takedown(auditor: Auditor) -> None:
    case = _listing(
        "Replica of the Titanic model ship kit, 1:350 scale",
        "Plastic scale model replica kit of the RMS Titanic. Unbuilt, all sprues present.",
        "toys",
    )
    outcome = auditor.audit(case)
    assert outcome.decision is None
    assert outcome.escalation is not None
    assert outcome.escalation.reasons == ["inconclusive:counterfeit_ip"]


def test_a_weak_term_repeated_in_title_and_description_counts_once(
    make_auditor: Callable[..., Auditor],
) -> None:
    # The rules' own arithmetic, without the risk screen (which is not sure of "everyday
    # carry" and sends this one to a person, ranked low).
    case = _listing(
        "Pocket knife with 3 inch blade",
        "Everyday carry folding pocket knife, 3 inch blade, thumb stud. Great for camping.",
        "outdoor",
    )
    outcome = make_auditor().audit(case)
    assert outcome.decision is not None and outcome.decision.decision == "approve"


def test_disease_claims_restrict_under_the_medical_claims_clause(auditor: Auditor) -> None:
    case = _listing(
        "Turmeric immune capsules",
        "Clinically proven to reverse type 2 diabetes and shrink tumors. Stop taking your insulin after 2 weeks.",
        "supplements",
    )
    outcome = auditor.audit(case)
    assert outcome.decision is not None
    assert outcome.decision.decision == "restrict"
    assert outcome.decision.clause_ids[0] == "RHL-1"


def test_leetspeak_variants_and_split_words_are_read(auditor: Auditor) -> None:
    case = _listing(
        "M@ison V3yrac Cordelle bag",
        "Super c1one of the Cordelle, pay via W-hats-app for a discount.",
        "handbags",
        price="120.00",
    )
    outcome = auditor.audit(case)
    assert outcome.decision is not None and outcome.decision.decision == "reject"
    refs = set(outcome.verdict.evidence_refs) if outcome.verdict else set()
    assert "text_screen:listing.description:super clone" in refs
    assert "text_screen:listing.description:whatsapp" in refs


def test_escalated_verdict_keeps_what_the_agent_would_have_decided(auditor: Auditor) -> None:
    outcome = auditor.audit(load_case("injection_in_description"))
    assert outcome.verdict is not None
    assert outcome.verdict.decision == "escalate"
    assert outcome.verdict.proposed_decision == "reject"
    assert outcome.escalation is not None and outcome.escalation.agent_decision == "reject"
    auditor.review(outcome.run_id, {"reviewer": "ann", "decision": "approve", "reason": "Genuine tote."})
    [review] = auditor.store.reviews(outcome.run_id)
    assert review.overrode_agent is True


def test_passed_guard_checks_carry_no_detail(auditor: Auditor) -> None:
    outcome = auditor.audit(load_case("switchblade_collector"))
    assert outcome.guard is not None
    assert all(c.passed and c.detail == "" for c in outcome.guard.checks)


def test_a_manufacturers_support_line_is_not_an_off_platform_attempt(auditor: Auditor) -> None:
    case = _listing(
        "Stainless steel electric kettle 1.7 L",
        "Auto shut-off, boil-dry protection. Warranty questions? Customer service +44 20 7946 0958 "
        "or support@kettleco.example, Mon–Fri 9–17.",
        "kitchen",
    )
    outcome = auditor.audit(case)
    assert outcome.decision is not None and outcome.decision.decision == "approve"


def test_a_support_line_that_asks_for_payment_off_the_app_is_still_off_platform(auditor: Auditor) -> None:
    case = _listing(
        "Stainless steel electric kettle 1.7 L",
        "Customer service: WhatsApp +44 7700 900123, pay by bank transfer for a discount.",
        "kitchen",
    )
    outcome = auditor.audit(case)
    assert outcome.decision is None or outcome.decision.decision != "approve"
    decided = (
        outcome.decision.clause_ids
        if outcome.decision
        else (outcome.verdict.clause_ids if outcome.verdict else [])
    )
    assert any(c.startswith("OFF-") for c in decided) or outcome.escalation is not None
