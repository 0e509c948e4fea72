"""The rules of the EU DSA Transparency Database for one statement of reasons (API schema v2,
in force since 1 July 2025), checked locally before a statement is submitted.

The rules follow the database's own request validation (field names, enums, required and
conditional fields, lengths, dates) as documented at
https://transparency.dsa.ec.europa.eu/page/api-documentation and in its source
(github.com/digital-services-act/transparency-database, `StatementsStoreRequest`).
Two rules are this project's, stricter than the database: `puid` uses only
`[A-Za-z0-9_-]`, and `content_date` may not lie in the future. The categories and keywords
come from `dsa_taxonomy.yaml` (data), passed in as a `DsaTaxonomy`.

Not checked, because the documentation found does not list the values: `content_language`
(ISO 639-1 codes) and `source_identity` beyond its length. `category_specification_other`
is only checked for length: the documentation found does not say it is required with
KEYWORD_OTHER.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from auditgraph.tools.policy_pack import DsaTaxonomy

__all__ = ["MAX_BATCH", "statement_problems"]

MAX_BATCH = 100
"""The most statements the database accepts in one API call."""

VISIBILITIES = frozenset(
    {
        "DECISION_VISIBILITY_CONTENT_REMOVED",
        "DECISION_VISIBILITY_CONTENT_DISABLED",
        "DECISION_VISIBILITY_CONTENT_DEMOTED",
        "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_LABELLED",
        "DECISION_VISIBILITY_OTHER",
    }
)
MONETARIES = frozenset(
    {"DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION", "DECISION_MONETARY_OTHER"}
)
PROVISIONS = frozenset(
    {
        "DECISION_PROVISION_PARTIAL_SUSPENSION",
        "DECISION_PROVISION_TOTAL_SUSPENSION",
        "DECISION_PROVISION_PARTIAL_TERMINATION",
        "DECISION_PROVISION_TOTAL_TERMINATION",
    }
)
ACCOUNTS = frozenset({"DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"})
ACCOUNT_TYPES = frozenset({"ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"})
GROUNDS = frozenset({"DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"})
CONTENT_TYPES = frozenset(
    {
        "CONTENT_TYPE_APP",
        "CONTENT_TYPE_AUDIO",
        "CONTENT_TYPE_IMAGE",
        "CONTENT_TYPE_PRODUCT",
        "CONTENT_TYPE_SYNTHETIC_MEDIA",
        "CONTENT_TYPE_TEXT",
        "CONTENT_TYPE_VIDEO",
        "CONTENT_TYPE_OTHER",
    }
)
SOURCE_TYPES = frozenset(
    {"SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER", "SOURCE_TYPE_OTHER_NOTIFICATION", "SOURCE_VOLUNTARY"}
)
AUTOMATED_DETECTIONS = frozenset({"Yes", "No"})
AUTOMATED_DECISIONS = frozenset(
    {"AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED"}
)
YES_NO = frozenset({"Yes", "No"})
COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "IS",
        "LI",
        "NO",
    ]
)
"""The EU and EEA member states (ISO 3166-1 alpha-2) `territorial_scope` may name."""

_LENGTHS = {
    "puid": 500,
    "decision_visibility_other": 500,
    "decision_monetary_other": 500,
    "content_type_other": 500,
    "category_specification_other": 500,
    "illegal_content_legal_ground": 500,
    "illegal_content_explanation": 2000,
    "incompatible_content_ground": 500,
    "incompatible_content_explanation": 2000,
    "decision_ground_reference_url": 500,
    "source_identity": 500,
    "decision_facts": 5000,
}
_REQUIRED = (
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
_END_DATES = (
    "end_date_account_restriction",
    "end_date_monetary_restriction",
    "end_date_service_restriction",
    "end_date_visibility_restriction",
)
_KNOWN = frozenset(
    {
        *_REQUIRED,
        *_LENGTHS,
        *_END_DATES,
        "decision_visibility",
        "decision_monetary",
        "decision_provision",
        "decision_account",
        "account_type",
        "category_addition",
        "category_specification",
        "incompatible_content_illegal",
        "territorial_scope",
        "content_language",
    }
)
_PUID = re.compile(r"^[A-Za-z0-9_-]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EARLIEST_CONTENT = date(2000, 1, 1)
_EARLIEST_APPLICATION = date(2020, 1, 1)
_LATEST = date(2038, 1, 1)


def statement_problems(statement: dict[str, Any], *, taxonomy: DsaTaxonomy, today: date) -> list[str]:
    """Every rule of the database's schema `statement` breaks, one sentence each; [] when
    the database would accept it. `today` bounds `content_date` (never in the future)."""
    problems = [f"{name!r} is not a field of the schema" for name in statement if name not in _KNOWN]
    problems += [f"{name!r} is required" for name in _REQUIRED if _blank(statement.get(name))]
    problems += _lengths(statement)
    problems += _decisions(statement)
    problems += _ground(statement)
    problems += _classification(statement, taxonomy)
    problems += _enums(statement)
    problems += _dates(statement, today)
    puid = statement.get("puid")
    if isinstance(puid, str) and puid and not _PUID.fullmatch(puid):
        problems.append("'puid' may hold only letters, digits, '_' and '-'")
    return problems


def _blank(value: object) -> bool:
    return value is None or value == "" or value == []


def _lengths(statement: dict[str, Any]) -> list[str]:
    found = []
    for name, limit in _LENGTHS.items():
        value = statement.get(name)
        if value is not None and not isinstance(value, str):
            found.append(f"{name!r} must be text")
        elif isinstance(value, str) and len(value) > limit:
            found.append(f"{name!r} is {len(value)} characters; at most {limit} are allowed")
    return found


def _members(statement: dict[str, Any], name: str, allowed: frozenset[str], *, many: bool) -> list[str]:
    value = statement.get(name)
    if value is None:
        return []
    values = value if many else [value]
    if many and not isinstance(value, list):
        return [f"{name!r} must be a list"]
    return [f"{name!r} does not allow {v!r}" for v in values if v not in allowed]


def _decisions(statement: dict[str, Any]) -> list[str]:
    found = _members(statement, "decision_visibility", VISIBILITIES, many=True)
    found += _members(statement, "decision_monetary", MONETARIES, many=False)
    found += _members(statement, "decision_provision", PROVISIONS, many=False)
    found += _members(statement, "decision_account", ACCOUNTS, many=False)
    found += _members(statement, "account_type", ACCOUNT_TYPES, many=False)
    kinds = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")
    if all(_blank(statement.get(k)) for k in kinds):
        found.append(
            "one of 'decision_visibility', 'decision_monetary', 'decision_provision' or 'decision_account' is required"
        )
    visibility = statement.get("decision_visibility")
    other = isinstance(visibility, list) and "DECISION_VISIBILITY_OTHER" in visibility
    if other and _blank(statement.get("decision_visibility_other")):
        found.append(
            "'decision_visibility_other' is required when 'decision_visibility' is DECISION_VISIBILITY_OTHER"
        )
    if statement.get("decision_monetary") == "DECISION_MONETARY_OTHER" and _blank(
        statement.get("decision_monetary_other")
    ):
        found.append(
            "'decision_monetary_other' is required when 'decision_monetary' is DECISION_MONETARY_OTHER"
        )
    return found


def _ground(statement: dict[str, Any]) -> list[str]:
    found = _members(statement, "decision_ground", GROUNDS, many=False)
    ground = statement.get("decision_ground")
    needs = {
        "DECISION_GROUND_ILLEGAL_CONTENT": ("illegal_content_legal_ground", "illegal_content_explanation"),
        "DECISION_GROUND_INCOMPATIBLE_CONTENT": (
            "incompatible_content_ground",
            "incompatible_content_explanation",
        ),
    }
    for kind, fields in needs.items():
        for name in fields:
            if ground == kind and _blank(statement.get(name)):
                found.append(f"{name!r} is required when 'decision_ground' is {kind}")
            if ground != kind and not _blank(statement.get(name)):
                found.append(f"{name!r} belongs only to 'decision_ground' {kind}")
    illegal = statement.get("incompatible_content_illegal")
    if illegal is not None and illegal not in YES_NO:
        found.append(f"'incompatible_content_illegal' does not allow {illegal!r}: use Yes or No")
    return found


def _classification(statement: dict[str, Any], taxonomy: DsaTaxonomy) -> list[str]:
    categories = frozenset(taxonomy.categories)
    found = _members(statement, "category", categories, many=False)
    found += _members(statement, "category_addition", categories, many=True)
    found += _members(statement, "category_specification", frozenset(taxonomy.keywords()), many=True)
    found += _members(statement, "content_type", CONTENT_TYPES, many=True)
    types = statement.get("content_type")
    if (
        isinstance(types, list)
        and "CONTENT_TYPE_OTHER" in types
        and _blank(statement.get("content_type_other"))
    ):
        found.append("'content_type_other' is required when 'content_type' holds CONTENT_TYPE_OTHER")
    found += _members(statement, "territorial_scope", COUNTRIES, many=True)
    return found


def _enums(statement: dict[str, Any]) -> list[str]:
    found = _members(statement, "source_type", SOURCE_TYPES, many=False)
    found += _members(statement, "automated_detection", AUTOMATED_DETECTIONS, many=False)
    found += _members(statement, "automated_decision", AUTOMATED_DECISIONS, many=False)
    return found


def _day(statement: dict[str, Any], name: str, found: list[str]) -> date | None:
    value = statement.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        found.append(f"{name!r} must be a date written YYYY-MM-DD (got {value!r})")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        found.append(f"{name!r} is not a calendar date (got {value!r})")
        return None


def _dates(statement: dict[str, Any], today: date) -> list[str]:
    found: list[str] = []
    content = _day(statement, "content_date", found)
    applied = _day(statement, "application_date", found)
    if content is not None and not _EARLIEST_CONTENT <= content <= min(today, _LATEST):
        found.append(f"'content_date' {content} must lie between {_EARLIEST_CONTENT} and today ({today})")
    if applied is not None and not _EARLIEST_APPLICATION <= applied <= _LATEST:
        found.append(f"'application_date' {applied} must lie between {_EARLIEST_APPLICATION} and {_LATEST}")
    if content is not None and applied is not None and applied < content:
        found.append(f"'application_date' {applied} is before 'content_date' {content}")
    for name in _END_DATES:
        end = _day(statement, name, found)
        if end is not None and end > _LATEST:
            found.append(f"{name!r} {end} is after {_LATEST}")
        if end is not None and applied is not None and end < applied:
            found.append(f"{name!r} {end} is before 'application_date' {applied}")
    return found
