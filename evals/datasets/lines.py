"""From a case and its label to a dataset line: derived tags, required tools and severity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditgraph.evals.datasets.reference import NEW_ACCOUNT_SINCE, REF, Json
from auditgraph.evals.datasets.sources import Sources, fail, vocabulary

LISTING_HEAD = ("listing_id", "seller_id", "title", "description", "price", "currency", "category")
KIND_FIELDS = {
    "listing_review": ("signal",),
    "seller_appeal": ("original_decision", "appeal_text", "new_evidence"),
    "ip_report": ("rights_holder", "report_text", "evidence"),
}
"""What each kind of case carries besides the listing, in the order the lines hold it."""


@dataclass
class Row:
    """One case before it gets an id: the input parts and the label."""

    kind: str
    listing: Json
    extra: Json
    decision: str
    area: str | None
    clause_ids: list[str]
    tags: list[str] = field(default_factory=list)
    severity: str | None = None
    """Set for escalations that cite no clause: what is at stake."""


def seller_tags(listing: Json) -> list[str]:
    """Tags that follow from the seller record: new, repeat offender, unknown, verified."""
    seller = REF.sellers.get(listing["seller_id"])
    if seller is None:
        return ["unknown_seller"]
    tags = []
    if seller["joined_on"] >= NEW_ACCOUNT_SINCE:
        tags.append("new_seller")
    if seller["strikes"] >= 2:
        tags.append("repeat_offender")
    if listing.get("brand") and listing["brand"] in seller["verified_brands"]:
        tags.append("verified_reseller")
    return tags


def names_brand(listing: Json) -> bool:
    """Whether the listing names a protected brand (brand field or text)."""
    if listing.get("brand"):
        return True
    text = f"{listing['title']} {listing['description']}".lower()
    return any(name.lower() in text for name in REF.brands)


def required_tools(
    kind: str, listing: Json, decision: str, area: str | None, clause_ids: Sequence[str], tags: Sequence[str]
) -> set[str]:
    """The evidence tools a sound audit of this case cannot skip.

    Policy retrieval (every citation and every approval rests on it) and the text screen
    (injection and obfuscation live in the text) always. An approval must also rule out
    the seller, every image and, when a brand is named, the brand and price. Appeals and
    IP reports always need the seller record (who is verified, who re-offends).
    """
    tools = {"policy_retrieval", "text_screen"}
    images = listing.get("images", [])
    branded = names_brand(listing)
    if decision == "approve":
        tools.add("seller_history")
        if images:
            tools.add("image_check")
        if branded:
            tools.add("brand_check")
    if kind != "listing_review":
        tools.add("seller_history")
        if branded:
            tools.add("brand_check")
    if {"image_only", "contact_in_image", "missing_image", "unreadable_image"} & set(tags):
        tools.add("image_check")
    if {"unknown_seller", "unverifiable_authenticity", "verified_reseller"} & set(tags):
        tools.add("seller_history")
    if "price_only" in tags:
        tools |= {"brand_check", "seller_history"}
    if area == "counterfeit_ip" and branded:
        # Whether the seller is a verified reseller decides CIP-1/CIP-2/CIP-5.
        tools |= {"brand_check", "seller_history"}
    if "CIP-2" in clause_ids:
        # A logo match is grounds for removal only if the seller is not verified for the brand.
        tools |= {"image_check", "seller_history"}
    for image in images:
        bank = REF.bank_entry(image)
        if bank is not None and (bank["clause_id"] in clause_ids or bank["area"] == area):
            tools.add("image_check")
    return tools


def make_line(row: Row, line_id: str, received_at: str, source: str, language: str | None = None) -> Json:
    """The dataset line for `row`, with derived tags, tools and severity (and its language, if given)."""
    case: Json = {"kind": row.kind, "case_id": line_id, "received_at": received_at, "listing": row.listing}
    case.update(row.extra)
    tags = list(dict.fromkeys([*row.tags, *seller_tags(row.listing)]))
    tags.sort(key=vocabulary().tags.index)
    tools = required_tools(row.kind, row.listing, row.decision, row.area, row.clause_ids, tags)
    if row.clause_ids:
        severity = REF.severity(row.clause_ids)
    elif row.severity is not None:
        severity = row.severity
    else:
        severity = "none" if row.decision == "approve" else "low"
    metadata: Json = {
        "kind": row.kind,
        "category": row.listing["category"],
        "area": row.area or "benign",
        "severity": severity,
        "tags": tags,
    }
    if language is not None:
        metadata["language"] = language
    metadata["source"] = source
    return {
        "id": line_id,
        "input": case,
        "expected": {
            "decision": row.decision,
            "area": row.area,
            "clause_ids": list(row.clause_ids),
            "human_required": row.decision == "escalate",
            "tools": [t for t in vocabulary().tools if t in tools],
        },
        "metadata": metadata,
    }


def hand_lines(cases: list[Json], path: Path, source: str) -> list[Json]:
    """Hand-written cases (the blocks of sources/hard_cases.yaml or general_cases.yaml) as lines.

    The listing's fields come out in the order of a generated listing (currency USD and no
    images unless given), then the fields of the case's kind (KIND_FIELDS). A case that
    gives its `language` has it in the line's metadata.

    Raises:
        SourceError: a tag that is not in the vocabulary, pointing at its line in `path`.
    """
    lines = []
    for n, case in enumerate(cases):
        for k, tag in enumerate(case.get("tags", [])):
            if tag not in vocabulary().tags:
                raise fail(path, ["cases", n, "tags", k], "not a tag of line_schema.yaml")
        given = {"currency": "USD", "images": [], **case["listing"]}
        listing = {key: given[key] for key in LISTING_HEAD}
        listing.update({k: v for k, v in given.items() if k not in LISTING_HEAD and k != "images"})
        listing["images"] = given["images"]
        extra = {name: case[name] for name in KIND_FIELDS[case["kind"]]}
        labels = (case["decision"], case.get("area"), case.get("clause_ids", []), case.get("tags", []))
        row = Row(case["kind"], listing, extra, *labels, case.get("severity"))
        lines.append(make_line(row, case["id"], case["received_at"], source, case.get("language")))
    return lines


def hard_lines(sources: Sources) -> list[Json]:
    """The hand-written hard cases of sources/hard_cases.yaml as dataset lines."""
    return hand_lines(sources.hard_cases, sources.root / "hard_cases.yaml", "hand")


def general_lines(sources: Sources) -> list[Json]:
    """The general suite's cases of sources/general_cases.yaml as dataset lines."""
    return hand_lines(sources.general_cases, sources.root / "general_cases.yaml", "general")
