"""Personal data in case text: finding it, and masking it where it is not needed.

Sellers and rights holders write e-mail addresses, phone numbers, messenger handles
and street addresses into listings, appeals and reports. The text screen needs to know
that a listing offers a phone number (off-platform contact is a violation); nobody
downstream needs the number itself. These patterns are the single definition both use:
the screen searches folded text with them, and the audit record, logs, exports and eval
reports pass their strings through `mask`.

Detection is by pattern, so it finds the usual written forms (including "name (at)
gmail (dot) com" and grouped or run-together phone numbers) and misses a name or an
address written without a number or a street word. Phone numbers are also found by
`phonenumbers` (Google's libphonenumber metadata): any international number ("+31 6 4821
7730", "+33 6 12 34 56 78", "0049 30 1234567") and national numbers of the regions in
`PHONE_REGIONS`. IBANs are found by their shape and kept only when their mod-97 check
digits hold. Street addresses are found in English form ("221B Baker Street") and in the
common continental forms: a Dutch or German compound street name and a number
("Keizersgracht 417", "Hauptstraße 5"), and a French, Spanish, Italian or Portuguese
street word with a name and a number ("12 rue de Rivoli", "Calle Mayor 12", "Via Roma
10"). `mask_text` can be given extra strings to hide, such as a seller's display name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Literal, NamedTuple

import phonenumbers

__all__ = [
    "EMAIL",
    "PHONE",
    "PHONE_REGIONS",
    "SPELLED_EMAIL",
    "DataKind",
    "MaskingFilter",
    "PersonalDatum",
    "find_personal_data",
    "mask",
    "mask_text",
]

DataKind = Literal["email", "phone", "handle", "address", "name", "iban"]
Style = Literal["label", "synthetic"]

EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", re.IGNORECASE)
_BRACKETED_AT = r"[\[(]\s*at\s*[\])]"
_AT_PROVIDER = r"\s+at\s+(?:gmail|yahoo|hotmail|outlook|proton(?:mail)?|icloud|aol|gmx|qq|163|mail)"
SPELLED_EMAIL = re.compile(
    rf"[a-z0-9._-]+\s*{_BRACKETED_AT}\s*[a-z0-9-]+\s*[\[(]\s*dot\s*[\])]\s*[a-z]{{2,}}"
    # Unbracketed "name at gmail dot com" only with a mail provider, so that "look at this
    # dot com" is not taken for an address.
    rf"|[a-z0-9._-]+{_AT_PROVIDER}"
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
_PROFILE = r"(?:wa\.me|t\.me|instagram\.com|facebook\.com|m\.me)/"
_HANDLE = re.compile(rf"\b{_PROFILE}[\w.+-]+|(?<![\w.@\]])@[a-z0-9_.]{{3,30}}\b", re.IGNORECASE)
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
_NL_DE_STREET = (
    r"straat|gracht|laan|plein|kade|singel|dijk|steeg|weg"
    r"|straße|strasse|str\.|gasse|platz|allee|damm|ufer"
)
_ROMANCE_STREET = (
    r"Rue|Avenue|Boulevard|Chemin|Impasse|Allée|Quai|Place"
    r"|Calle|C/|Avenida|Avda\.|Paseo|Plaza|Camino|Carrer|Passeig"
    r"|Via|Viale|Piazza|Corso|Largo|Vicolo|Rua|Travessa"
)
_PARTICLE = r"(?:de|del|de la|des|du|la|le|les|della|dei|degli|delle|di|da|do|dos|das|d'|l')"
_NAME_WORD = r"[A-ZÀ-Ý][\w'À-ÿ.-]*"
_EUROPEAN_ADDRESS = re.compile(
    # "Keizersgracht 417", "Van Baerlestraat 12-3", "Hauptstr. 5a"
    rf"\b(?:[A-Z][\w'-]*\s+)?[A-ZÄÖÜ][\wäöüßéèë'-]*(?:{_NL_DE_STREET})\s*\d{{1,4}}"
    r"(?:\s?[a-zA-Z]\b|-\d{1,4}|\s?(?:bis|ter|hs|huis)\b)?"
    # "Calle Mayor 12", "Via Roma 10", "Rue de Rivoli 99", "Calle de Alcalá, 45"
    rf"|\b(?:{_ROMANCE_STREET})\s+(?:{_PARTICLE}\s*)*{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s*)*{_NAME_WORD}){{0,3}}"
    r",?\s*(?:n[º°o.]\s*)?\d{1,4}(?:\s?[a-zA-Z]\b|/\d{1,3})?"
    # "12 rue de Rivoli", "3 bis, avenue Foch"
    r"|\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|boulevard|bd|chemin|impasse|allée|quai|place)"
    rf"\s+(?:{_PARTICLE}\s*)*{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s*)*{_NAME_WORD}){{0,3}}"
)
_IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,32}")
_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "TR": 26, "UA": 29,
}  # fmt: skip
"""IBAN lengths of the SEPA countries (ISO 13616 registry); others are tried at 15 to 34."""
PHONE_REGIONS = ("US", "GB", "DE", "FR", "NL", "BE", "ES", "IT", "PT", "PL", "AT", "CH", "IE", "SE")
"""Regions whose national (no "+") phone numbers are recognised; international numbers
are recognised from every region."""
_PHONE_CANDIDATE = re.compile(r"(?<![\w.,])(?:\+|\(\+?)?\d[\d\s()./-]{5,22}\d(?!\w)")
"""Something shaped like a phone number: only these stretches go to libphonenumber."""
_LABELLED = {
    kind: re.compile(re.escape(f"[{kind}]"))
    for kind in ("email", "phone", "handle", "address", "name", "iban")
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
    ("address", _EUROPEAN_ADDRESS),
)
_MAYBE = re.compile(r"[\d@\[]|\bat\b|\.(?:me|com)/", re.IGNORECASE)
"""Every pattern needs a digit, an @, a [, the word "at" or a profile link: most strings
are skipped on this."""
_DIGIT = re.compile(r"\d")
_NEEDS: dict[re.Pattern[str], re.Pattern[str]] = {
    **{label: re.compile(re.escape("[")) for label in _LABELLED.values()},
    EMAIL: re.compile("@"),
    # A part of each alternative, with the pattern's flags: "(at)", " at gmail", "wa.me/".
    SPELLED_EMAIL: re.compile(f"{_BRACKETED_AT}|{_AT_PROVIDER}", re.IGNORECASE),
    _HANDLE: re.compile(f"{_PROFILE}|@", re.IGNORECASE),
    PHONE: _DIGIT,
    _ADDRESS: _DIGIT,
    _EUROPEAN_ADDRESS: _DIGIT,
}
"""What each pattern cannot match without (every alternative of it holds a match of this),
found in one quick scan: a pattern whose need is absent is not run. The spelled e-mail
pattern alone, tried at every word of a long text, cost more than all the others."""

_LABEL: dict[DataKind, str] = {
    "email": "[email]",
    "phone": "[phone]",
    "handle": "[handle]",
    "address": "[address]",
    "name": "[name]",
    "iban": "[iban]",
}
_SYNTHETIC: dict[DataKind, str] = {
    # Reserved, fictional values of the same shape, so a masked eval case still shows the
    # screen a phone number or an e-mail address.
    "email": "seller@example.com",
    "phone": "+1 555 010 0199",
    "handle": "@example_handle",
    "address": "1 Example Street",
    "name": "Example Seller",
    "iban": "GB82 WEST 1234 5698 7654 32",
}
_POLICY_KEYS = frozenset({"clauses"})
"""Keys under which the marketplace's own policy text travels: nothing personal to find."""
_ID_KEY = re.compile(r"(?:^|_)(?:ids?|hash|sha|digest|pdq|version|seq|reviewer|at|started|ended|date)$")


class PersonalDatum(NamedTuple):
    """One piece of personal data found in a text: its kind and where it is."""

    kind: DataKind
    start: int
    end: int


def find_personal_data(text: str, *, extra: Iterable[str] = ()) -> list[PersonalDatum]:
    """Where `text` holds personal data, in order, overlaps merged (the earlier wins).

    `extra` are exact strings to find as well (case-insensitive), such as a display name.
    """
    found = list(_pattern_data(text))
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


@lru_cache(maxsize=256)
def _pattern_data(text: str) -> tuple[PersonalDatum, ...]:
    """What the patterns, libphonenumber and the IBAN check find in `text`, unmerged.

    Cached by text, whatever extra strings a caller adds: a case's text reaches the trace
    several times (intake, the plan, the tools' inputs, excerpts, the decision record and
    its copy in the finalize step), with and without the seller's name, and each distinct
    string is searched once. Small on purpose: it serves one case at a time, not a corpus.
    """
    if not _MAYBE.search(text):
        return ()
    found: list[PersonalDatum] = []
    for kind, pattern in _PATTERNS:
        if _NEEDS[pattern].search(text):
            found += [PersonalDatum(kind, _start(kind, m), m.end()) for m in pattern.finditer(text)]
    found += _phone_numbers(text)
    found += _ibans(text)
    return tuple(found)


def _phone_numbers(text: str) -> list[PersonalDatum]:
    found: set[tuple[int, int]] = set()
    for candidate in _PHONE_CANDIDATE.finditer(text):
        if sum(c.isdigit() for c in candidate.group(0)) < 7:
            continue
        # Some characters either side, so the matcher still sees what the number touches
        # (a time after a date is not a phone number).
        offset = max(candidate.start() - 8, 0)
        window = text[offset : candidate.end() + 8]
        found.update((offset + start, offset + end) for start, end in _phones_in_window(window))
    return [PersonalDatum("phone", start, end) for start, end in found]


@lru_cache(maxsize=1024)
def _phones_in_window(window: str) -> tuple[tuple[int, int], ...]:
    """Where libphonenumber finds a plausible number in `window`, trying every region.

    About 1 ms a window (fourteen matchers), and a function of the window alone, so it is
    cached: the same few windows come back case after case (the policy version and dates
    quoted in every statement of reasons, a seller's number in each step that copies it).
    """
    found: set[tuple[int, int]] = set()
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID):
            if _plausible(match):
                found.add((match.start, match.end))
    return tuple(sorted(found))


_MOBILE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _plausible(match: phonenumbers.PhoneNumberMatch) -> bool:
    # International ("+31 ...", "0049 ...") and trunk-prefixed national numbers ("06 ...",
    # "030 ...") are written as phone numbers; a bare run of digit groups ("38 39 40 41
    # 42") is taken only when it is a mobile number (Spain, Italy and Poland dial without
    # a trunk 0), not a voicemail or service range that sizes and codes fall into.
    raw = match.raw_string.lstrip("(")
    return raw.startswith(("+", "0")) or phonenumbers.number_type(match.number) in _MOBILE


def _ibans(text: str) -> list[PersonalDatum]:
    found = []
    for match in _IBAN_CANDIDATE.finditer(text):
        # The candidate may run on into the next words ("NL91 ABNA 0417 1643 00 CASH"):
        # the longest prefix of a valid length whose check digits hold is the IBAN.
        raw = match.group(0)
        ends = [i + 1 for i, c in enumerate(raw) if c != " "]
        lengths = (_IBAN_LENGTHS[raw[:2]],) if raw[:2] in _IBAN_LENGTHS else range(34, 14, -1)
        for length in lengths:
            if length <= len(ends) and _iban_valid(raw[: ends[length - 1]].replace(" ", "")):
                found.append(PersonalDatum("iban", match.start(), match.start() + ends[length - 1]))
                break
    return found


def _iban_valid(iban: str) -> bool:
    """ISO 13616's check: the country and check digits moved to the end, letters as
    numbers (A=10 ... Z=35), the whole number mod 97 is 1."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


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
