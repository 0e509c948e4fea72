"""Evasions applied to bundled rejects: with the image gone, the text alone still decides.

Each case keeps only the words that make it a violation (the switchblade listing as
bundled; the watch listing's title cut to the one word "replica"), and a control shows
those words decide: without them neither case is rejected. Every evasion class is then
applied to those words, and the case must still be rejected under the same clause.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from auditgraph.workflows import Auditor
from tests.conftest import load_case

_CYRILLIC = str.maketrans("aceijopsxyABEHKMOPCTX", "асеіјорѕхуАВЕНКМОРСТХ")
_GREEK = str.maketrans("aiovABEHIKMNOPTXYZ", "αιονΑΒΕΗΙΚΜΝΟΡΤΧΥΖ")
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "O": "0", "S": "5"}
_SYMBOLS = {"a": "@", "s": "$", "i": "!"}


def _insert(mark: str) -> Callable[[str], str]:
    return lambda word: word[:2] + mark + word[2:]


EVASIONS: dict[str, Callable[[str], str]] = {
    "left-to-right-mark": _insert("\u200e"),
    "invisible-separator": _insert("\u2063"),
    "zero-width-space": _insert("\u200b"),
    "soft-hyphen": _insert("\u00ad"),
    "right-to-left-override": _insert("\u202e"),
    "tag-character": _insert("\U000e0020"),
    "variation-selector": _insert("\ufe0f"),
    "cyrillic-look-alikes": lambda word: word.translate(_CYRILLIC),
    "greek-look-alikes": lambda word: word.translate(_GREEK),
    "fullwidth": lambda word: "".join(chr(ord(c) + 0xFEE0) for c in word),
    "trailing-leet-digit": lambda word: word[:-1] + _LEET.get(word[-1], word[-1]),
    "leading-leet-digit": lambda word: _LEET.get(word[0], word[0]) + word[1:],
    "symbol-leet": lambda word: "".join(_SYMBOLS.get(c, c) for c in word),
    "repeated-letters": lambda word: word[0] + word[1] * 4 + word[2:],
    "dotted-letters": ".".join,
    "spaced-letters": " ".join,
    "hyphenated-letters": "-".join,
}


def _switchblade() -> dict[str, Any]:
    return load_case("switchblade_collector")


def _watch() -> dict[str, Any]:
    case = load_case("counterfeit_watch_replica")
    case["listing"]["title"] = "Orvelle Geneve Chronograph – replica"
    return case


# The case, the words the evasion is applied to (wherever they stand), and the clause.
CASES: dict[str, tuple[Callable[[], dict[str, Any]], list[str], str]] = {
    "switchblade": (_switchblade, ["switchblade", "OTF", "knife"], "WPN-4"),
    "counterfeit-watch": (_watch, ["replica"], "CIP-1"),
}


def _imageless(case: dict[str, Any], change: Callable[[str], str], words: list[str]) -> dict[str, Any]:
    listing = case["listing"]
    listing["images"] = []
    pattern = re.compile(r"\b(?:" + "|".join(words) + r")\b")
    for field in ("title", "description"):
        listing[field] = pattern.sub(lambda m: change(m.group(0)), listing[field])
    return case


def _decided(auditor: Auditor, case: dict[str, Any]) -> tuple[str, list[str]]:
    outcome = auditor.audit(case)
    if outcome.decision is not None:
        return outcome.decision.decision, outcome.decision.clause_ids
    return "escalate", []


@pytest.mark.parametrize("name", list(CASES))
def test_the_plain_words_decide(auditor: Auditor, name: str) -> None:
    build, words, clause = CASES[name]
    assert _decided(auditor, _imageless(build(), lambda w: w, words)) == ("reject", [clause])
    # The control: without those words the text no longer makes a reject.
    decision, _ = _decided(auditor, _imageless(build(), lambda w: "", words))
    assert decision != "reject"


# Every pair but one: no leet digit looks like the "r" that "replica" starts with.
PAIRS = [(n, e) for n in CASES for e in EVASIONS if any(EVASIONS[e](w) != w for w in CASES[n][1])]


@pytest.mark.parametrize(("name", "evasion"), PAIRS)
def test_an_evasion_does_not_turn_a_reject_around(auditor: Auditor, name: str, evasion: str) -> None:
    build, words, clause = CASES[name]
    case = _imageless(build(), EVASIONS[evasion], words)
    text = f"{case['listing']['title']} {case['listing']['description']}"
    assert not re.search(r"\b(?:switchblade|otf knife|replica)\b", text, re.IGNORECASE)
    assert _decided(auditor, case) == ("reject", [clause])
