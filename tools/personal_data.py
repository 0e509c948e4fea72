"""Personal data in case text: finding it, and masking it where it is not needed.

Sellers and rights holders write e-mail addresses, phone numbers, messenger handles
and street addresses into listings, appeals and reports. The text screen needs to know
that a listing offers a phone number (off-platform contact is a violation); nobody
downstream needs the number itself. These patterns are the single definition both use:
the screen searches folded text with them, and the audit record, logs, exports and eval
reports pass their strings through `mask`.

Detection is by pattern, so it finds the usual written forms (including "name (at)
gmail (dot) com" and grouped or run-together phone numbers) and misses a name or an
address written without a number or a street word. `mask_text` can be given extra
strings to hide, such as a seller's display name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Literal, NamedTuple

__all__ = [
    "EMAIL",
    "PHONE",
    "SPELLED_EMAIL",
    "DataKind",
    "MaskingFilter",
    "PersonalDatum",
    "find_personal_data",
    "mask",
    "mask_text",
]

DataKind = Literal["email", "phone", "handle", "address", "name"]
Style = Literal["label", "synthetic"]

EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", re.IGNORECASE)
SPELLED_EMAIL = re.compile(
    r"[a-z0-9._-]+\s*[\[(]\s*at\s*[\])]\s*[a-z0-9-]+\s*[\[(]\s*dot\s*[\])]\s*[a-z]{2,}"
    # Unbracketed "name at gmail dot com" only with a mail provider, so that "look at this
    # dot com" is not taken for an address.
    r"|[a-z0-9._-]+\s+at\s+(?:gmail|yahoo|hotmail|outlook|proton(?:mail)?|icloud|aol|gmx|qq|163|mail)"
    r"\s*(?:dot|\.)\s*[a-z]{2,}",
    re.IGNORECASE,
)
PHONE = re.compile(
    # Grouped numbers, national or international ("555-014-2377", "+44 7700 900123",
    # "07700 900123"), or a bare run of digits right after a word that offers a call.
    # Not the seconds of a time ("13:16:55.123456").
    r"(?<![\d.,$])(?<!\d:)(?:\+\d{1,3}[\s.-]?)?\(?\d{2,5}\)?[\s.-]\d{3,4}[\s.-]?\d{3,4}(?![\d,]|\.\d)"
    r"|(?:call|text|tel|phone|whatsapp|sms|viber)\D{0,12}\+?\d{9,13}(?!\d)",
    re.IGNORECASE,
)
_HANDLE = re.compile(
    r"\b(?:wa\.me|t\.me|instagram\.com|facebook\.com|m\.me)/[\w.+-]+|(?<![\w.@\]])@[a-z0-9_.]{3,30}\b",
    re.IGNORECASE,
)
_STREET = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl"
    r"|Terrace|Close|Crescent|Square|Sq|Highway|Hwy|Parkway|Pkwy"
)
_ADDRESS = re.compile(
    # Capitalised street names only, so "4 wheel drive" stays; a flat or unit number
    # after the street goes with it.
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){{1,4}}(?:{_STREET})\b\.?"
    r"(?:,?\s*(?:Apt|Apartment|Suite|Unit|Flat|#)\.?\s*[\w-]+)?"
    r"|\b[A-ZÄÖÜ][a-zäöüß-]+(?:straße|strasse|str\.|weg|gasse|platz|allee)\s+\d{1,4}[a-z]?\b"
    r"|\bP\.?\s?O\.?\s+Box\s+\d+\b"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"  # UK postcode
)
_LABELLED = {
    kind: re.compile(re.escape(f"[{kind}]")) for kind in ("email", "phone", "handle", "address", "name")
}
"""Data masked earlier (an erased case): kept as the same kind, so a synthetic mask can
still give an imported case a fictional phone number where a real one was."""
_PATTERNS: tuple[tuple[DataKind, re.Pattern[str]], ...] = (
    *_LABELLED.items(),  # type: ignore[arg-type]
    ("email", EMAIL),
    ("email", SPELLED_EMAIL),
    ("handle", _HANDLE),
    ("phone", PHONE),
    ("address", _ADDRESS),
)
_MAYBE = re.compile(r"[\d@\[]|\bat\b|\.(?:me|com)/", re.IGNORECASE)
"""Every pattern needs a digit, an @, a [, the word "at" or a profile link: most strings
are skipped on this."""

_LABEL: dict[DataKind, str] = {
    "email": "[email]",
    "phone": "[phone]",
    "handle": "[handle]",
    "address": "[address]",
    "name": "[name]",
}
_SYNTHETIC: dict[DataKind, str] = {
    # Reserved, fictional values of the same shape, so a masked eval case still shows the
    # screen a phone number or an e-mail address.
    "email": "seller@example.com",
    "phone": "+1 555 010 0199",
    "handle": "@example_handle",
    "address": "1 Example Street",
    "name": "Example Seller",
}
_POLICY_KEYS = frozenset({"clauses"})
"""Keys under which the marketplace's own policy text travels: nothing personal to find."""
_ID_KEY = re.compile(r"(?:^|_)(?:ids?|hash|sha|pdq|version|seq|reviewer|at|started|ended|date)$")


class PersonalDatum(NamedTuple):
    """One piece of personal data found in a text: its kind and where it is."""

    kind: DataKind
    start: int
    end: int


def find_personal_data(text: str, *, extra: Iterable[str] = ()) -> list[PersonalDatum]:
    """Where `text` holds personal data, in order, overlaps merged (the earlier wins).

    `extra` are exact strings to find as well (case-insensitive), such as a display name.
    """
    found: list[PersonalDatum] = []
    if _MAYBE.search(text):
        for kind, pattern in _PATTERNS:
            found += [PersonalDatum(kind, _start(kind, m), m.end()) for m in pattern.finditer(text)]
    for value in extra:
        if len(value) >= 3:
            found += [
                PersonalDatum("name", m.start(), m.end())
                for m in re.finditer(re.escape(value), text, re.IGNORECASE)
            ]
    found.sort(key=lambda d: (d.start, -d.end))
    merged: list[PersonalDatum] = []
    for datum in found:
        if merged and datum.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = last._replace(end=max(last.end, datum.end))
            continue
        merged.append(datum)
    return merged


def _start(kind: DataKind, match: re.Match[str]) -> int:
    # "call 5551234567" keeps its "call": the word says what the masked number was for.
    if kind == "phone" and match.group(0)[0].isalpha():
        return match.start() + re.search(r"[+\d]", match.group(0)).start()  # type: ignore[union-attr]
    return match.start()


def mask_text(text: str, *, style: Style = "label", extra: Iterable[str] = ()) -> str:
    """`text` with each piece of personal data replaced.

    `style="label"` writes its kind ("[phone]"), for traces, logs and reports;
    `style="synthetic"` writes a fictional value of the same kind, for exported cases
    that must still read as containing a phone number or an address.
    """
    if not extra:
        return _masked_cached(text, style)
    return _masked(text, style, extra)


@lru_cache(maxsize=256)
def _masked_cached(text: str, style: Style) -> str:
    # A case's text reaches the trace several times (intake, the plan, the tools' inputs,
    # excerpts): each distinct string is searched once. Small on purpose: it serves one
    # case at a time, not a corpus.
    return _masked(text, style, ())


def _masked(text: str, style: Style, extra: Iterable[str]) -> str:
    data = find_personal_data(text, extra=extra)
    if not data:
        return text
    table = _LABEL if style == "label" else _SYNTHETIC
    parts, cursor = [], 0
    for datum in data:
        parts += [text[cursor : datum.start], table[datum.kind]]
        cursor = datum.end
    parts.append(text[cursor:])
    return "".join(parts)


def mask(value: Any, *, style: Style = "label", extra: tuple[str, ...] = ()) -> Any:
    """A copy of a JSON-like `value` with personal data masked in every string.

    Values under identifier keys (`case_id`, `clause_ids`, `hash`, ...) and retrieved
    policy `clauses` are left as they are: they are the record's own references and the
    marketplace's own text, not what a person wrote.
    """
    if isinstance(value, str):
        return mask_text(value, style=style, extra=extra)
    if isinstance(value, dict):
        return {
            k: v
            if isinstance(k, str) and (k in _POLICY_KEYS or _ID_KEY.search(k))
            else mask(v, style=style, extra=extra)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask(v, style=style, extra=extra) for v in value]
    return value


class MaskingFilter(logging.Filter):
    """A logging filter that masks personal data in each record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record's formatted message in place; never drops the record."""
        record.msg = mask_text(record.getMessage())
        record.args = None
        return True
