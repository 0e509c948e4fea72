"""Masking finds exactly what the first, uncached implementation found.

`find_personal_data` caches what it finds by text, asks libphonenumber once per window
and skips a pattern when the text lacks what it needs; `_reference_find` below is the
implementation before that, kept verbatim as the oracle. Generated text mixes phone numbers of every region in every format libphonenumber
writes, with the dates, prices, versions and ids that look like them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

import phonenumbers
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auditgraph.tools import personal_data
from auditgraph.tools.personal_data import (
    _MAYBE,
    _PATTERNS,
    _PHONE_CANDIDATE,
    PHONE_REGIONS,
    PersonalDatum,
    _ibans,
    _plausible,
    _start,
    find_personal_data,
    mask_text,
)
from tests.conftest import DATA, ROOT


def _reference_find(text: str, *, extra: Iterable[str] = ()) -> list[PersonalDatum]:
    found: list[PersonalDatum] = []
    if _MAYBE.search(text):
        for kind, pattern in _PATTERNS:
            found += [PersonalDatum(kind, _start(kind, m), m.end()) for m in pattern.finditer(text)]
        found += _reference_phone_numbers(text)
        found += _ibans(text)
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


def _reference_phone_numbers(text: str) -> list[PersonalDatum]:
    found: set[tuple[int, int]] = set()
    for candidate in _PHONE_CANDIDATE.finditer(text):
        if sum(c.isdigit() for c in candidate.group(0)) < 7:
            continue
        offset = max(candidate.start() - 8, 0)
        window = text[offset : candidate.end() + 8]
        for region in PHONE_REGIONS:
            for match in phonenumbers.PhoneNumberMatcher(
                window, region, leniency=phonenumbers.Leniency.VALID
            ):
                if _plausible(match):
                    found.add((offset + match.start, offset + match.end))
    return [PersonalDatum("phone", start, end) for start, end in found]


_FORMATS = (
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.RFC3966,
)
_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.VOIP,
)


def _example_numbers() -> list[str]:
    """Every region's example numbers, in every format, and with their "00" or "011" prefix."""
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in _TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            numbers += [phonenumbers.format_number(number, f) for f in _FORMATS]
            numbers += [f"00{number.country_code} {number.national_number}", f"0{number.national_number}"]
    return sorted(set(numbers))


EXAMPLES = _example_numbers()
_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=5)
_SEPARATOR = st.sampled_from(["", " ", "-", ".", "/", "(", ")", " - ", "  "])
_LOOKALIKES = st.one_of(
    st.builds("{}-{:02d}-{:02d}".format, st.integers(1990, 2030), st.integers(0, 13), st.integers(0, 32)),
    st.builds("{}.{}.{}".format, st.integers(2020, 2030), st.integers(1, 12), st.integers(1, 9)),
    st.builds("{:.2f}".format, st.floats(0, 1e7, allow_nan=False)),
    st.builds("{:02d}:{:02d}:{:02d}.{}".format, *[st.integers(0, 60)] * 3, st.integers(0, 999999)),
    st.builds("{}{}".format, st.sampled_from(["lst-", "case-", "EAN ", "S", "#", "Invoice "]), _DIGITS),
)
_GROUPED = st.lists(st.tuples(_DIGITS, _SEPARATOR), min_size=2, max_size=5).map(
    lambda parts: "".join(d + s for d, s in parts).strip()
)
_CONTACT = st.sampled_from(
    [
        "a.b@mail.com",
        "jane (at) gmail (dot) com",
        "JANE AT GMAIL.COM",
        "jane at\tproton dot me",
        "instagram.com/seller",
        "@sneaker_plug99",
        "wa.me/15551234567",
        "221B Baker Street",
        "Keizersgracht 417",
        "12 rue de Rivoli",
        "NL91 ABNA 0417 1643 00",
        "[phone]",
        "Jane Roe",
    ]
)
_WORD = st.sampled_from(
    ["call", "whatsapp", "tel:", "Tel.", "bel", "ruf an:", "+", "(+", "00", "0", "sizes", "at", "x"]
)
_FRAGMENT = st.one_of(st.sampled_from(EXAMPLES), _LOOKALIKES, _GROUPED, _CONTACT, _WORD, st.text(max_size=6))
_TEXT = st.lists(st.tuples(_FRAGMENT, st.sampled_from(["", " ", ", ", "\n", ": ", "/"])), max_size=8).map(
    lambda parts: "".join(f + s for f, s in parts)
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT, st.sampled_from([(), ("Jane Roe",), ("x",), ("call",)]))
@example("WhatsApp +31 6 4821 7730 or 0049 30 1234567", ())
@example("policy 2026.12.1, decided 2026-11-21 13:16:55.123456", ())
def test_generated_text_is_masked_as_before(text: str, extra: tuple[str, ...]) -> None:
    expected = _reference_find(text, extra=extra)
    assert find_personal_data(text, extra=extra) == expected
    # Again, now from the caches.
    assert find_personal_data(text, extra=extra) == expected
    assert mask_text(text, extra=extra) == _reference_mask(text, expected)


@pytest.mark.parametrize("number", EXAMPLES[::7])
def test_example_numbers_of_every_region_are_found_as_before(number: str) -> None:
    for text in (number, f"call {number} today", f"x{number}y"):
        assert find_personal_data(text) == _reference_find(text)


def _bundled_strings() -> Iterator[str]:
    """Every string in the bundled cases and eval datasets that could hold a phone number."""
    files = [*sorted((DATA / "cases").glob("*.json"))]
    lines = [
        json.loads(line)
        for name in ("core.jsonl", "hard.jsonl", "general.jsonl")
        for line in (ROOT / "evals" / "datasets" / name).read_text().splitlines()
    ]
    yield from _strings([json.loads(f.read_text()) for f in files] + lines)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        if sum(c.isdigit() for c in value) >= 7:
            yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_bundled_case_text_is_masked_as_before() -> None:
    personal_data._pattern_data.cache_clear()
    personal_data._phones_in_window.cache_clear()
    strings = sorted(set(_bundled_strings()))
    assert len(strings) > 100
    for text in strings:
        assert find_personal_data(text) == _reference_find(text), text


def _reference_mask(text: str, data: list[PersonalDatum]) -> str:
    parts, cursor = [], 0
    for datum in data:
        parts += [text[cursor : datum.start], f"[{datum.kind}]"]
        cursor = datum.end
    parts.append(text[cursor:])
    return "".join(parts)
