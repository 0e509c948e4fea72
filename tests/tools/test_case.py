"""The case schema: each kind parses, and every malformed case is refused with one readable line."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from auditgraph.tools.case import (
    MAX_IMAGES,
    CaseError,
    IpReport,
    ListingReview,
    SellerAppeal,
    case_json_schema,
    case_text,
    parse_case,
)

LISTING: dict[str, Any] = {
    "listing_id": "lst-1",
    "seller_id": "S00001",
    "title": "Steel wristwatch",
    "description": "Automatic steel wristwatch, boxed.",
    "price": "129.00",
    "currency": "USD",
    "category": "watches",
}
MINIMAL: dict[str, dict[str, Any]] = {
    "listing_review": {
        "kind": "listing_review",
        "case_id": "case-1",
        "listing": LISTING,
        "signal": {"source": "classifier", "reason": "suspected replica"},
    },
    "seller_appeal": {
        "kind": "seller_appeal",
        "case_id": "case-2",
        "listing": LISTING,
        "original_decision": {
            "decision": "reject",
            "clause_ids": ["CIP-1"],
            "decided_at": "2026-11-18T16:00:00Z",
        },
        "appeal_text": "The watch is genuine; the invoice is attached.",
    },
    "ip_report": {
        "kind": "ip_report",
        "case_id": "case-3",
        "listing": LISTING,
        "rights_holder": {"name": "Orvelle Horlogerie SA", "brand": "Orvelle Geneve"},
        "report_text": "This listing offers counterfeits of our watches.",
    },
}


def _with(path: str, value: Any = None, *, kind: str = "listing_review", delete: bool = False) -> dict:
    """The minimal case of `kind` with the dotted `path` set to `value` (or deleted)."""
    case = copy.deepcopy(MINIMAL[kind])
    *parents, last = path.split(".")
    node = case
    for key in parents:
        node = node[key]
    if delete:
        del node[last]
    else:
        node[last] = value
    return case


def _error(raw: object) -> str:
    with pytest.raises(CaseError) as info:
        parse_case(raw)
    message = str(info.value)
    assert "\n" not in message, f"not one line: {message!r}"
    return message


@pytest.mark.parametrize(
    ("kind", "model"),
    [("listing_review", ListingReview), ("seller_appeal", SellerAppeal), ("ip_report", IpReport)],
)
def test_each_kind_parses_from_a_minimal_dict(kind: str, model: type) -> None:
    case = parse_case(copy.deepcopy(MINIMAL[kind]))
    assert type(case) is model
    assert case.kind == kind
    assert case.listing.price == Decimal("129.00")
    assert case.received_at.tzinfo is not None


def test_case_text_names_the_free_text_fields_of_each_kind() -> None:
    assert set(case_text(parse_case(MINIMAL["listing_review"]))) == {"listing.title", "listing.description"}
    assert "appeal_text" in case_text(parse_case(MINIMAL["seller_appeal"]))
    assert "report_text" in case_text(parse_case(MINIMAL["ip_report"]))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (_with("listing.title", delete=True), "invalid case: listing.title is missing"),
        (_with("signal", delete=True), "invalid case: signal is missing"),
        (
            _with("appeal_text", delete=True, kind="seller_appeal"),
            "invalid case: appeal_text is missing",
        ),
        (
            _with("listing.description", " \n\t  "),
            "invalid case: listing.description is empty; it must have text",
        ),
        (
            _with("listing.description", "x" * 5_000_000),
            "invalid case: listing.description is 5,000,000 characters; the limit is 20,000",
        ),
        (
            _with("kind", delete=True),
            "invalid case: kind is missing: say listing_review, seller_appeal or ip_report",
        ),
        ([], "a case must be a JSON object, got list"),
    ],
    ids=[
        "missing-title",
        "missing-signal",
        "missing-appeal-text",
        "blank-description",
        "5mb-description",
        "missing-kind",
        "not-an-object",
    ],
)
def test_malformed_case_gives_exact_message(raw: object, expected: str) -> None:
    assert _error(raw) == expected


@pytest.mark.parametrize(
    ("raw", "field", "hint"),
    [
        (_with("listing.currency", "usd"), "listing.currency", "pattern"),
        (_with("listing.currency", "DOLLARS"), "listing.currency", "pattern"),
        (_with("listing.price", "-1"), "listing.price", "greater than or equal to 0"),
        (_with("listing.price", "1.234"), "listing.price", "2 decimal places"),
        (_with("surprise", 1), "surprise", "Extra inputs are not permitted"),
        (_with("listing.surprise", 1), "listing.surprise", "Extra inputs are not permitted"),
        (_with("listing.images", ["listings/a.png"] * (MAX_IMAGES + 1)), "listing.images", "at most 12"),
        (_with("received_at", "2026-11-20T09:15:00"), "received_at", "timezone"),
        (
            _with("rights_holder.brand", delete=True, kind="ip_report"),
            "rights_holder.brand",
            "is missing",
        ),
    ],
    ids=[
        "lowercase-currency",
        "long-currency",
        "negative-price",
        "sub-cent-price",
        "extra-field",
        "extra-listing-field",
        "too-many-images",
        "naive-datetime",
        "ip-report-missing-brand",
    ],
)
def test_malformed_case_names_the_field(raw: dict, field: str, hint: str) -> None:
    message = _error(raw)
    assert message.startswith(f"invalid case: {field} "), message
    assert hint in message


def test_exactly_max_images_is_accepted() -> None:
    case = parse_case(_with("listing.images", ["listings/a.png"] * MAX_IMAGES))
    assert len(case.listing.images) == MAX_IMAGES


def test_unknown_kind_names_kind_and_only_the_bad_value() -> None:
    message = _error(_with("listing.description", "y" * 19_000) | {"kind": "bogus"})
    assert (
        message == "invalid case: kind must be one of listing_review, seller_appeal, ip_report (got 'bogus')"
    )


def test_many_problems_are_summarised_on_one_line() -> None:
    raw = copy.deepcopy(MINIMAL["listing_review"])
    for field in ("title", "description", "currency", "category", "listing_id"):
        del raw["listing"][field]
    message = _error(raw)
    assert message.count(" is missing") == 3
    assert message.endswith("(and 2 more)")


def test_json_schema_discriminates_on_kind() -> None:
    schema = case_json_schema()
    assert schema["title"] == "auditgraph case"
    discriminator = schema["discriminator"]
    assert isinstance(discriminator, dict)
    assert discriminator["propertyName"] == "kind"
    assert set(discriminator["mapping"]) == {"listing_review", "seller_appeal", "ip_report"}
    refs = {option["$ref"].rsplit("/", 1)[-1] for option in schema["oneOf"]}  # type: ignore[attr-defined]
    assert refs == {"ListingReview", "SellerAppeal", "IpReport"}
