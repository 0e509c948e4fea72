"""Escalation: routing to queues, priority from severity and reasons, one escalation per run."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from auditgraph.store.records import EscalationRecord
from auditgraph.tools.case import POLICY_AREAS
from auditgraph.tools.escalation import (
    QUEUE_BY_AREA,
    EscalationInput,
    MemoryEscalationBackend,
    make_escalation_tool,
    open_escalation,
    route_escalation,
)


def _route(**kwargs: object) -> EscalationRecord:
    return route_escalation(
        EscalationInput.model_validate({"run_id": "run-1", "case_id": "case-1", **kwargs})
    )


def test_every_policy_area_has_a_queue() -> None:
    assert set(QUEUE_BY_AREA) == set(POLICY_AREAS)


@pytest.mark.parametrize(
    ("area", "queue"),
    [
        ("counterfeit_ip", "ip-specialists"),
        ("weapons", "regulated-goods"),
        ("drugs", "regulated-goods"),
        ("wildlife", "regulated-goods"),
        ("hazardous_goods", "regulated-goods"),
        ("recalled_products", "regulated-goods"),
        ("regulated_health", "regulated-goods"),
        ("misleading_claims", "claims-review"),
        ("off_platform", "fraud"),
        ("abusive_pricing", "fraud"),
        ("adult", "adult-content"),
        ("firearms", "prohibited-goods"),
        ("explosives_fireworks", "prohibited-goods"),
        ("drug_paraphernalia", "prohibited-goods"),
        ("human_remains", "prohibited-goods"),
        ("surveillance_lockpicking", "prohibited-goods"),
        ("prescription_drugs", "regulated-goods"),
        ("tobacco_vaping", "regulated-goods"),
        ("alcohol", "regulated-goods"),
        ("gambling", "regulated-goods"),
        ("counterfeit_currency", "fraud-and-ip"),
        ("forged_documents", "fraud-and-ip"),
        ("stolen_goods", "fraud-and-ip"),
        ("hacking_fraud_services", "fraud-and-ip"),
        ("pirated_content", "fraud-and-ip"),
        ("gift_cards", "fraud-and-ip"),
        ("hate", "harmful-content"),
        ("harassment", "harmful-content"),
        ("violence", "harmful-content"),
        ("self_harm", "harmful-content"),
    ],
)
def test_area_routes_to_its_queue(area: str, queue: str) -> None:
    record = _route(reasons=["low_confidence"], areas=[area])
    assert record.queue == queue
    assert record.areas == [area]


def test_first_area_decides_the_queue() -> None:
    assert _route(reasons=["low_confidence"], areas=["adult", "counterfeit_ip"]).queue == "adult-content"


@pytest.mark.parametrize("reason", ["unknown_seller", "injection_attempt"])
def test_a_manipulation_reason_beats_the_area(reason: str) -> None:
    assert _route(reasons=[reason], areas=["counterfeit_ip"]).queue == "fraud"


def test_other_reasons_leave_the_area_queue() -> None:
    assert _route(reasons=["inconclusive:counterfeit_ip"], areas=["counterfeit_ip"]).queue == "ip-specialists"


@pytest.mark.parametrize("reason", ["unknown_seller", "injection_attempt", "repeat_offender"])
def test_fraud_reason_without_area_goes_to_fraud(reason: str) -> None:
    assert _route(reasons=["low_confidence", reason]).queue == "fraud"


def test_no_area_and_no_routing_reason_goes_to_general() -> None:
    assert _route(reasons=["low_confidence", "tool_unavailable"]).queue == "general"


@pytest.mark.parametrize(
    ("severity", "priority"),
    [("critical", 1), ("high", 2), ("medium", 3), ("low", 4), (None, 4)],
)
def test_priority_follows_severity(severity: str | None, priority: int) -> None:
    """Without a risk figure (no screen, no proposed violation) severity alone ranks."""
    assert _route(reasons=["low_confidence"], severity=severity).priority == priority


@pytest.mark.parametrize(
    ("risk", "severity", "priority"),
    [
        (0.95, "critical", 1),
        (0.95, "high", 1),  # 0.71 expected harm
        (0.95, "medium", 2),
        (0.95, None, 2),
        (0.95, "low", 3),
        (0.5, "high", 2),
        (0.3, "medium", 3),
        (0.1, "critical", 3),
        (0.03, "critical", 4),
        (0.03, None, 4),
    ],
)
def test_priority_follows_expected_harm(risk: float, severity: str | None, priority: int) -> None:
    assert _route(reasons=["screen_risk"], risk=risk, severity=severity).priority == priority


def test_a_likely_medium_violation_outranks_an_unlikely_critical_one() -> None:
    likely = _route(reasons=["screen_risk:drugs"], risk=0.9, severity="medium")
    unlikely = _route(reasons=["unknown_seller"], risk=0.04, severity="critical")
    assert likely.priority < unlikely.priority


def test_strikes_raise_the_risk_and_the_priority() -> None:
    clean = _route(reasons=["screen_risk"], risk=0.4, severity="medium")
    struck = _route(reasons=["screen_risk"], risk=0.4, severity="medium", seller_strikes=3)
    assert clean.risk == 0.4 and struck.risk == round(1 - 0.6 * 0.85**3, 4)
    assert (clean.priority, struck.priority) == (3, 2)
    # At most three strikes count: a long record does not make any case certain.
    assert _route(reasons=["screen_risk"], risk=0.4, seller_strikes=9).risk == struck.risk


def test_risk_is_a_probability() -> None:
    with pytest.raises(ValidationError):
        _route(reasons=["screen_risk"], risk=1.5)


@pytest.mark.parametrize(
    ("severity", "priority"),
    [("critical", 1), ("high", 1), ("medium", 2), ("low", 3), (None, 3)],
)
@pytest.mark.parametrize("urgent", ["injection_attempt", "repeat_offender"])
def test_urgent_reason_bumps_priority_but_never_below_one(
    severity: str | None, priority: int, urgent: str
) -> None:
    assert _route(reasons=["low_confidence", urgent], severity=severity).priority == priority


def test_two_urgent_reasons_bump_once() -> None:
    assert _route(reasons=["injection_attempt", "repeat_offender"], severity="medium").priority == 2


def test_record_carries_the_request() -> None:
    record = _route(reasons=["unknown_seller"], areas=["weapons"], severity="high", agent_decision="reject")
    assert (record.run_id, record.case_id) == ("run-1", "case-1")
    assert record.reasons == ["unknown_seller"]
    assert record.agent_decision == "reject"
    assert record.status == "open"
    assert record.escalation_id.startswith("esc_")
    assert record.opened_at.tzinfo is not None


def test_reasons_are_required() -> None:
    with pytest.raises(ValidationError):
        EscalationInput(run_id="run-1", case_id="case-1", reasons=[])


def test_second_open_for_a_run_returns_the_first() -> None:
    backend = MemoryEscalationBackend()
    first = open_escalation(
        backend, EscalationInput(run_id="run-1", case_id="case-1", reasons=["low_confidence"], severity="low")
    )
    again = open_escalation(
        backend,
        EscalationInput(run_id="run-1", case_id="case-1", reasons=["injection_attempt"], areas=["adult"]),
    )
    assert again == first
    assert again.queue == "general"
    assert list(backend.opened) == ["run-1"]


def test_different_runs_get_their_own_escalations() -> None:
    backend = MemoryEscalationBackend()
    one = open_escalation(backend, EscalationInput(run_id="run-1", case_id="case-1", reasons=["x"]))
    two = open_escalation(backend, EscalationInput(run_id="run-2", case_id="case-1", reasons=["x"]))
    assert one.escalation_id != two.escalation_id
    assert set(backend.opened) == {"run-1", "run-2"}


def test_tool_opens_once_per_run() -> None:
    backend = MemoryEscalationBackend()
    tool = make_escalation_tool(backend)
    args = {"run_id": "run-9", "case_id": "case-9", "reasons": ["unknown_seller"], "severity": "critical"}
    first = tool.invoke(args)
    assert isinstance(first, EscalationRecord)
    assert (first.queue, first.priority) == ("fraud", 1)
    assert tool.invoke(args) == first
