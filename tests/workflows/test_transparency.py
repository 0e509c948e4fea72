"""DSA Transparency Database statements of reasons: every bundled restricting outcome
yields one the local validator accepts, the validator refuses each broken rule, no
personal data reaches a statement, and the automation field follows the trace."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from auditgraph.store.records import DecisionRecord, RunRecord
from auditgraph.tools import BundledPaths
from auditgraph.tools.case import parse_case
from auditgraph.tools.dsa_sor import statement_problems
from auditgraph.tools.policy_pack import DsaTaxonomy, PolicyLibrary
from auditgraph.workflows import Auditor, erase_seller
from auditgraph.workflows.transparency import batched, restricting_statements, statement_for
from tests.conftest import DATA, EXPECTED, load_case

LIBRARY = PolicyLibrary(BundledPaths(DATA).policy_dir)
TAXONOMY: DsaTaxonomy = LIBRARY.taxonomy  # type: ignore[assignment]
RULES = TAXONOMY.statements
assert RULES is not None
TODAY = datetime.now(UTC).date()
RESTRICTING = sorted(name for name, e in EXPECTED.items() if e["decision"] in ("reject", "restrict"))


def _statement(auditor: Auditor, run_id: str) -> dict[str, Any]:
    store = auditor.store
    run = store.get_run(run_id)
    case = parse_case(store.get_case(run_id))
    pack = LIBRARY.pack(run.policy_version)
    return statement_for(run, case, store.decisions(run_id)[-1], store.steps(run_id), pack, rules=RULES)


def test_bundled_restricting_cases_are_the_ones_expected() -> None:
    assert len(RESTRICTING) >= 8
    assert {"counterfeit_watch_replica", "ip_report_counterfeit", "off_platform_whatsapp"} <= set(RESTRICTING)


@pytest.mark.parametrize("name", RESTRICTING)
def test_every_bundled_restricting_outcome_gives_a_valid_statement(auditor: Auditor, name: str) -> None:
    outcome = auditor.audit(load_case(name))
    assert outcome.decision is not None and outcome.decision.decision == EXPECTED[name]["decision"]
    statement = _statement(auditor, outcome.run_id)
    assert statement_problems(statement, taxonomy=TAXONOMY, today=TODAY) == []
    visibility = {
        "reject": "DECISION_VISIBILITY_CONTENT_REMOVED",
        "restrict": "DECISION_VISIBILITY_CONTENT_DEMOTED",
    }
    assert statement["decision_visibility"] == [visibility[outcome.decision.decision]]
    assert statement["content_type"][0] == "CONTENT_TYPE_PRODUCT"
    assert statement["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert outcome.run_id in statement["puid"]


def test_fields_follow_the_case_and_the_pack(auditor: Auditor) -> None:
    counterfeit = _statement(auditor, auditor.audit(load_case("counterfeit_watch_replica")).run_id)
    assert counterfeit["category"] == "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
    assert "KEYWORD_TRADEMARK_INFRINGEMENT" in counterfeit["category_specification"]
    assert counterfeit["source_type"] == "SOURCE_TYPE_OTHER_NOTIFICATION"
    assert counterfeit["automated_detection"] == "No"
    assert counterfeit["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert "CIP-2" in counterfeit["incompatible_content_ground"]
    notice = _statement(auditor, auditor.audit(load_case("ip_report_counterfeit")).run_id)
    assert notice["source_type"] == "SOURCE_ARTICLE_16"
    assert notice["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert notice["illegal_content_legal_ground"] and notice["illegal_content_explanation"]
    assert "incompatible_content_ground" not in notice
    appeal = _statement(auditor, auditor.audit(load_case("appeal_still_counterfeit")).run_id)
    assert (appeal["source_type"], appeal["automated_detection"]) == ("SOURCE_VOLUNTARY", "No")
    swept = load_case("switchblade_collector")
    swept["signal"] = {"source": "classifier", "reason": "weapon classifier", "score": 0.9}
    machine = _statement(auditor, auditor.audit(swept).run_id)
    assert (machine["source_type"], machine["automated_detection"]) == ("SOURCE_VOLUNTARY", "Yes")
    recall = _statement(auditor, auditor.audit(load_case("recalled_infant_sleeper")).run_id)
    assert recall["category"] == "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS"
    assert set(recall["category_specification"]) & {"KEYWORD_UNSAFE_PRODUCTS", "KEYWORD_PROHIBITED_PRODUCTS"}


def test_no_personal_data_in_any_field(auditor: Auditor) -> None:
    case = load_case("off_platform_whatsapp")
    phone, mail = "+44 20 7946 0958", "jane.doe@example.com"
    case["listing"]["description"] += f" Call {phone} or mail {mail}."
    outcome = auditor.audit(case)
    assert outcome.decision is not None and outcome.decision.decision == "restrict"
    statement = _statement(auditor, outcome.run_id)
    assert statement_problems(statement, taxonomy=TAXONOMY, today=TODAY) == []
    text = json.dumps(statement)
    for value in (phone, mail, "555 014 2377", "7946"):
        assert value not in text
    # The rationale itself may carry a contact detail: the statement masks it.
    run = auditor.store.get_run(outcome.run_id)
    decision = auditor.store.decisions(outcome.run_id)[-1]
    leaky = decision.model_copy(update={"rationale": f"Seller wrote {mail} and {phone} in the listing."})
    built = statement_for(run, parse_case(case), leaky, [], LIBRARY.pack(run.policy_version), rules=RULES)
    assert mail not in json.dumps(built) and phone not in json.dumps(built)


def test_a_reviewed_run_is_partially_automated(auditor: Auditor) -> None:
    first = auditor.audit(load_case("sneaker_new_account_low_price"))
    assert first.status == "awaiting_review"
    auditor.review(
        first.run_id,
        {
            "reviewer": "rev-1",
            "decision": "reject",
            "reason": "Counterfeit confirmed.",
            "clause_ids": ["CIP-1"],
        },
    )
    statement = _statement(auditor, first.run_id)
    assert statement["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"
    assert statement_problems(statement, taxonomy=TAXONOMY, today=TODAY) == []


def test_an_approval_gets_no_statement(auditor: Auditor) -> None:
    outcome = auditor.audit(load_case("kitchen_knife_set"))
    assert outcome.decision is not None and outcome.decision.decision == "approve"
    with pytest.raises(ValueError, match="restricts nothing"):
        _statement(auditor, outcome.run_id)
    assert list(restricting_statements(auditor.store, LIBRARY)) == []


def test_puid_is_unique_per_decision_and_uses_only_allowed_characters() -> None:
    run = RunRecord(
        run_id="run_1", case_id="case.with spaces/1", case_kind="listing_review", agent="rules",
        agent_version="1", policy_version=LIBRARY.current.version,
    )  # fmt: skip
    case = parse_case(load_case("switchblade_collector"))
    base = DecisionRecord(
        run_id="run_1", case_id=run.case_id, decision="reject", decided_by="agent", clause_ids=["WPN-4"],
        confidence=0.9, rationale="Violates WPN-4.", created_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
    )  # fmt: skip
    later = base.model_copy(
        update={"decided_by": "reviewer", "created_at": datetime(2026, 12, 1, 10, tzinfo=UTC)}
    )
    first, second = (
        statement_for(run, case, d, [], LIBRARY.current, rules=RULES)["puid"] for d in (base, later)
    )
    assert first != second
    assert all(c.isalnum() or c in "_-" for c in first + second)


def test_batches_hold_at_most_one_hundred() -> None:
    assert [len(b) for b in batched(range(250))] == [100, 100, 50]
    assert list(batched([])) == []
    with pytest.raises(ValueError):
        list(batched([1], 0))


# A statement the database accepts, and one broken rule at a time.
VALID: dict[str, Any] = {
    "puid": "case-1_run_1_agent_20261201",
    "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "Marketplace policy 2026.12.1: CIP-1 Counterfeit goods",
    "incompatible_content_explanation": "Counterfeit goods are not allowed.",
    "category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "category_specification": ["KEYWORD_TRADEMARK_INFRINGEMENT"],
    "content_type": ["CONTENT_TYPE_PRODUCT"],
    "content_date": "2026-11-20",
    "application_date": "2026-11-21",
    "decision_facts": "The listing offers a replica.",
    "source_type": "SOURCE_VOLUNTARY",
    "automated_detection": "Yes",
    "automated_decision": "AUTOMATED_DECISION_FULLY",
}
REQUIRED = (
    "decision_ground",
    "content_type",
    "category",
    "content_date",
    "application_date",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "puid",
)
_GROUND_SWAP = {"incompatible_content_ground": None, "incompatible_content_explanation": None}
BROKEN: dict[str, tuple[dict[str, Any], str]] = {
    **{f"missing {f}": ({f: None}, f"'{f}' is required") for f in REQUIRED},
    "no decision at all": ({"decision_visibility": None}, "one of 'decision_visibility'"),
    "unknown field": ({"territory": ["DE"]}, "'territory' is not a field"),
    "visibility not a list": (
        {"decision_visibility": "DECISION_VISIBILITY_CONTENT_REMOVED"},
        "must be a list",
    ),
    "unknown visibility": ({"decision_visibility": ["DECISION_VISIBILITY_HIDDEN"]}, "does not allow"),
    "visibility other without text": (
        {"decision_visibility": ["DECISION_VISIBILITY_OTHER"]},
        "'decision_visibility_other' is required",
    ),
    "monetary other without text": (
        {"decision_monetary": "DECISION_MONETARY_OTHER"},
        "'decision_monetary_other' is required",
    ),
    "unknown monetary": (
        {"decision_monetary": "DECISION_MONETARY_FINE"},
        "'decision_monetary' does not allow",
    ),
    "unknown provision": (
        {"decision_provision": "DECISION_PROVISION_ALL"},
        "'decision_provision' does not allow",
    ),
    "unknown account decision": (
        {"decision_account": "DECISION_ACCOUNT_BANNED"},
        "'decision_account' does not allow",
    ),
    "unknown account type": ({"account_type": "ACCOUNT_TYPE_ROBOT"}, "'account_type' does not allow"),
    "unknown ground": ({"decision_ground": "DECISION_GROUND_OTHER"}, "'decision_ground' does not allow"),
    "illegal without legal ground": (
        {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            **_GROUND_SWAP,
            "illegal_content_explanation": "x",
        },
        "'illegal_content_legal_ground' is required",
    ),
    "illegal without explanation": (
        {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            **_GROUND_SWAP,
            "illegal_content_legal_ground": "x",
        },
        "'illegal_content_explanation' is required",
    ),
    "incompatible without ground": (
        {"incompatible_content_ground": None},
        "'incompatible_content_ground' is required",
    ),
    "incompatible without explanation": (
        {"incompatible_content_explanation": None},
        "'incompatible_content_explanation' is required",
    ),
    "illegal field on incompatible ground": ({"illegal_content_legal_ground": "x"}, "belongs only to"),
    "incompatible_content_illegal not yes or no": (
        {"incompatible_content_illegal": "Maybe"},
        "use Yes or No",
    ),
    "unknown category": ({"category": "STATEMENT_CATEGORY_COUNTERFEITS"}, "'category' does not allow"),
    "unknown additional category": (
        {"category_addition": ["STATEMENT_CATEGORY_X"]},
        "'category_addition' does not allow",
    ),
    "unknown keyword": (
        {"category_specification": ["KEYWORD_REPLICA"]},
        "'category_specification' does not allow",
    ),
    "unknown content type": ({"content_type": ["CONTENT_TYPE_LISTING"]}, "'content_type' does not allow"),
    "content type other without text": (
        {"content_type": ["CONTENT_TYPE_OTHER"]},
        "'content_type_other' is required",
    ),
    "unknown country": ({"territorial_scope": ["US"]}, "'territorial_scope' does not allow"),
    "unknown source type": ({"source_type": "SOURCE_POLICE"}, "'source_type' does not allow"),
    "automated detection not yes or no": (
        {"automated_detection": "yes"},
        "'automated_detection' does not allow",
    ),
    "unknown automated decision": (
        {"automated_decision": "AUTOMATED_DECISION_MOSTLY"},
        "'automated_decision' does not allow",
    ),
    "puid with a space": ({"puid": "case 1"}, "'puid' may hold only"),
    "puid too long": ({"puid": "a" * 501}, "'puid' is 501 characters"),
    "facts too long": ({"decision_facts": "x" * 5001}, "'decision_facts' is 5001 characters"),
    "ground too long": ({"incompatible_content_ground": "x" * 501}, "at most 500"),
    "explanation too long": ({"incompatible_content_explanation": "x" * 2001}, "at most 2000"),
    "visibility other too long": (
        {"decision_visibility": ["DECISION_VISIBILITY_OTHER"], "decision_visibility_other": "x" * 501},
        "'decision_visibility_other' is 501",
    ),
    "content type other too long": (
        {"content_type": ["CONTENT_TYPE_OTHER"], "content_type_other": "x" * 501},
        "'content_type_other' is 501",
    ),
    "text field not text": ({"decision_facts": 5}, "must be text"),
    "date in another format": ({"content_date": "20/11/2026"}, "written YYYY-MM-DD"),
    "date not on the calendar": ({"application_date": "2026-02-30"}, "not a calendar date"),
    "content before 2000": ({"content_date": "1999-12-31"}, "'content_date' 1999-12-31 must lie between"),
    "content in the future": (
        {"content_date": "2099-01-01", "application_date": "2030-01-01"},
        "'content_date' 2099-01-01",
    ),
    "application before 2020": (
        {"content_date": "2019-01-01", "application_date": "2019-06-01"},
        "'application_date' 2019-06-01 must lie",
    ),
    "application after 2038": (
        {"application_date": "2038-01-02"},
        "must lie between 2020-01-01 and 2038-01-01",
    ),
    "application before content": ({"application_date": "2026-11-19"}, "is before 'content_date'"),
    "end date before application": (
        {"end_date_visibility_restriction": "2026-01-01"},
        "is before 'application_date'",
    ),
    "end date after 2038": ({"end_date_account_restriction": "2038-02-01"}, "is after 2038-01-01"),
    "end date in another format": ({"end_date_service_restriction": "2027"}, "written YYYY-MM-DD"),
}


def test_the_valid_statement_is_valid() -> None:
    assert statement_problems(VALID, taxonomy=TAXONOMY, today=date(2026, 12, 1)) == []


@pytest.mark.parametrize(("change", "expected"), BROKEN.values(), ids=BROKEN.keys())
def test_the_validator_refuses_each_broken_rule(change: dict[str, Any], expected: str) -> None:
    broken = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    problems = statement_problems(broken, taxonomy=TAXONOMY, today=date(2026, 12, 1))
    assert any(expected in p for p in problems), problems


def test_a_run_erased_in_full_text_still_gives_a_valid_statement(auditor: Auditor) -> None:
    case = load_case("switchblade_collector")
    outcome = auditor.audit(case)
    erase_seller(
        auditor.store,
        auditor.graph.checkpointer,  # type: ignore[arg-type]
        case["listing"]["seller_id"],
        reason="DSR-1",
        requested_by="privacy-office",
        full_text=True,
    )
    [statement] = restricting_statements(auditor.store, LIBRARY)
    assert outcome.run_id in statement["puid"]
    assert statement_problems(statement, taxonomy=TAXONOMY, today=TODAY) == []
