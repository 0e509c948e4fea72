"""The case under audit: the input every layer reads.

It lives at the bottom of the project (beside the tools) because tools, agents,
workflows and the service all read it and arrows only point down. Three kinds share
one `Listing`; a discriminated union on `kind` picks the model, and
`case_json_schema()` publishes the contract (`auditgraph schema`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from auditgraph.store.records import Decision

__all__ = [
    "MAX_IMAGES",
    "MAX_LONG_TEXT",
    "MAX_SHORT_TEXT",
    "POLICY_AREAS",
    "SEVERITY_RANK",
    "AnyCase",
    "CaseError",
    "CaseKind",
    "Decision",
    "EvidenceDocument",
    "FieldProblem",
    "IpReport",
    "Listing",
    "ListingReview",
    "OriginalDecision",
    "PolicyArea",
    "RightsHolder",
    "SellerAppeal",
    "Severity",
    "Signal",
    "case_json_schema",
    "case_text",
    "parse_case",
]

MAX_SHORT_TEXT = 300
"""Longest title, name or id accepted, in characters."""
MAX_LONG_TEXT = 20_000
"""Longest description, appeal or report text accepted, in characters."""
MAX_IMAGES = 12
"""Most image references one listing may carry."""

CaseKind = Literal["listing_review", "seller_appeal", "ip_report"]
Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_RANK: dict[Severity, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}
"""Severities in order, least to most severe: the higher rank wins."""
PolicyArea = Literal[
    "drugs",
    "prescription_drugs",
    "drug_paraphernalia",
    "tobacco_vaping",
    "alcohol",
    "firearms",
    "weapons",
    "explosives_fireworks",
    "hazardous_goods",
    "recalled_products",
    "counterfeit_ip",
    "counterfeit_currency",
    "forged_documents",
    "stolen_goods",
    "hacking_fraud_services",
    "pirated_content",
    "wildlife",
    "human_remains",
    "adult",
    "hate",
    "harassment",
    "violence",
    "self_harm",
    "regulated_health",
    "misleading_claims",
    "off_platform",
    "abusive_pricing",
    "gambling",
    "gift_cards",
    "surveillance_lockpicking",
]
"""The marketplace's policy areas, as policy pack 2026.12.1 defines them. Pack 2026.11.1
had eleven of them: counterfeit_ip, weapons, drugs, wildlife, hazardous_goods,
regulated_health, misleading_claims, off_platform, abusive_pricing, adult and
recalled_products."""
POLICY_AREAS: tuple[PolicyArea, ...] = PolicyArea.__args__  # type: ignore[attr-defined]

_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})
"""Unicode categories that show nothing on their own: controls, format characters (zero-width
spaces and joiners, bidi marks, the BOM), spaces of every width and combining marks."""


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store a NUL in text or JSON, and no honest field needs one: refused
    # here, before anything is stored, so every database treats the case alike.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "contains a NUL character")
    return value


def _visible(value: str) -> str:
    if not any(unicodedata.category(c) not in _INVISIBLE for c in value):
        raise PydanticCustomError("invisible_text", "is empty; it must have text")
    return value


Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[\w.:-]+$"),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SHORT_TEXT),
    AfterValidator(_no_nul),
    AfterValidator(_visible),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LONG_TEXT),
    AfterValidator(_no_nul),
    AfterValidator(_visible),
]
ImageRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(_no_nul),
    AfterValidator(_visible),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Listing(_Model):
    """A marketplace listing as the seller published it. All of it is untrusted text."""

    listing_id: Id
    """The marketplace's id for the listing."""
    seller_id: Id
    """The seller who published it; looked up by the seller-history tool."""
    title: ShortText
    description: LongText
    """The seller's own words; must not be empty."""
    price: Decimal = Field(ge=0, le=Decimal("10000000"), max_digits=12, decimal_places=2)
    """Asking price in `currency`."""
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    """ISO 4217 code, e.g. "USD"."""
    category: ShortText
    """The marketplace category the seller chose, e.g. "watches"."""
    brand: ShortText | None = None
    """The brand the listing names, if any."""
    images: list[ImageRef] = Field(default_factory=list, max_length=MAX_IMAGES)
    """Image references: a path relative to the image root, or an http(s) URL."""


class Signal(_Model):
    """Why the case was opened."""

    source: Literal["classifier", "user_report", "hash_match", "rights_holder", "proactive_sweep"]
    reason: ShortText
    """Free text from the source, e.g. "suspected replica"."""
    score: float | None = Field(default=None, ge=0, le=1)
    """The source's own confidence, if it gives one."""


class OriginalDecision(_Model):
    """The takedown a seller is appealing."""

    decision: Literal["reject", "restrict"]
    clause_ids: list[Id] = Field(min_length=1, max_length=20)
    decided_at: AwareDatetime


class EvidenceDocument(_Model):
    """A document a seller or rights holder attaches."""

    kind: Literal["invoice", "authorization_letter", "lab_report", "certificate", "photo", "other"]
    description: ShortText
    issuer: ShortText | None = None
    """Who issued it, e.g. the brand or distributor named on an invoice."""


class RightsHolder(_Model):
    """Who files an IP report."""

    name: ShortText
    brand: ShortText
    """The brand or work the holder claims rights in."""
    registration: ShortText | None = None
    """A trademark or copyright registration number, if given."""


class _CaseBase(_Model):
    case_id: Id
    received_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    listing: Listing


class ListingReview(_CaseBase):
    """A listing flagged for review by a classifier, a user report or a sweep."""

    kind: Literal["listing_review"] = "listing_review"
    signal: Signal


class SellerAppeal(_CaseBase):
    """A seller appealing a takedown of `listing`."""

    kind: Literal["seller_appeal"] = "seller_appeal"
    original_decision: OriginalDecision
    appeal_text: LongText
    new_evidence: list[EvidenceDocument] = Field(default_factory=list, max_length=20)


class IpReport(_CaseBase):
    """A rights holder reporting `listing` as infringing."""

    kind: Literal["ip_report"] = "ip_report"
    rights_holder: RightsHolder
    report_text: LongText
    evidence: list[EvidenceDocument] = Field(default_factory=list, max_length=20)


AnyCase = Annotated[ListingReview | SellerAppeal | IpReport, Field(discriminator="kind")]
"""Any kind of case, told apart by `kind`: the one spelling of the union, for annotations
and for validation alike (the discriminator is ignored by type checkers)."""
_CASE_ADAPTER: TypeAdapter[AnyCase] = TypeAdapter(AnyCase)


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a submitted case: the field (dotted path; "case" for the whole)
    and what is wrong with it, in words."""

    field: str
    message: str


class CaseError(ValueError):
    """A case that cannot be audited; the message is one line a person can act on, and
    `fields` names the fields at fault (the first few) for a door that reports them apart."""

    def __init__(self, message: str, fields: tuple[FieldProblem, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields or (FieldProblem("case", message),)


def parse_case(raw: object) -> AnyCase:
    """Validate a decoded JSON value as a case.

    Raises:
        CaseError: with one readable line naming the first problems found.
    """
    if not isinstance(raw, dict):
        raise CaseError(f"a case must be a JSON object, got {type(raw).__name__}")
    try:
        return _CASE_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        fields = _problems(exc)
        raise CaseError(_describe(exc, fields), fields) from None


def _describe(exc: ValidationError, fields: tuple[FieldProblem, ...]) -> str:
    parts = [f"{p.field} {p.message}" for p in fields]
    more = len(exc.errors()) - len(parts)
    suffix = f" (and {more} more)" if more > 0 else ""
    return ("invalid case: " + "; ".join(parts))[:_MAX_ERROR] + suffix


def _problems(exc: ValidationError) -> tuple[FieldProblem, ...]:
    parts = []
    for err in exc.errors(include_url=False)[:3]:
        where = ".".join(_shown(p) for p in err["loc"] if not str(p).startswith("function-"))
        where = where.removeprefix("listing_review.").removeprefix("seller_appeal.")
        where = where.removeprefix("ip_report.")
        message = err["msg"]
        if err["type"] == "string_too_long":
            given = len(err["input"]) if isinstance(err["input"], str) else "?"
            message = f"is {given:,} characters; the limit is {err['ctx']['max_length']:,}"
        elif err["type"] == "string_too_short":
            message = "is empty; it must have text"
        elif err["type"] == "missing":
            message = "is missing"
        elif err["type"] == "union_tag_invalid":
            tag = _shown(err.get("ctx", {}).get("tag", "?"))
            where, message = "kind", f"must be one of listing_review, seller_appeal, ip_report (got {tag!r})"
        elif err["type"] == "union_tag_not_found":
            where, message = "kind", "is missing: say listing_review, seller_appeal or ip_report"
        parts.append(FieldProblem(where or "case", message))
    return tuple(parts)


_MAX_ERROR = 400


def _shown(part: object) -> str:
    """A field name or value as it may appear in a one-line error: printable, and short."""
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in str(part))
    return text if len(text) <= 60 else text[:57] + "..."


def case_json_schema() -> dict[str, object]:
    """The JSON Schema every case file must satisfy."""
    schema = _CASE_ADAPTER.json_schema()
    schema["title"] = "auditgraph case"
    return schema


def case_text(case: AnyCase) -> dict[str, str]:
    """The case's free-text fields by name, for screening and retrieval."""
    listing = case.listing
    texts = {"listing.title": listing.title, "listing.description": listing.description}
    if isinstance(case, SellerAppeal):
        texts["appeal_text"] = case.appeal_text
    elif isinstance(case, IpReport):
        texts["report_text"] = case.report_text
    return texts
