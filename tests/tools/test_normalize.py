"""Normalisation shared by the text screen and retrieval: undo obfuscation, keep plain numbers."""

from __future__ import annotations

import pytest

from auditgraph.tools.normalize import deobfuscate, fold


@pytest.mark.parametrize(
    ("raw", "clear"),
    [
        ("r3pl1ca", "replica"),
        ("R3PL!CA", "replica"),
        ("sw1tchbl@de", "switchblade"),
        ("fent@nyl 0xyc0d0ne", "fentanyl oxycodone"),
        ("5ilencer", "silencer"),
    ],
)
def test_leetspeak_inside_words_is_mapped(raw: str, clear: str) -> None:
    assert deobfuscate(raw) == clear


@pytest.mark.parametrize(
    ("raw", "clear"),
    [
        ("r.e.p.l.i.c.a", "replica"),
        ("r e p l i c a watch", "replica watch"),
        ("R-E-P-L-I-C-A", "replica"),
        ("r_3_p_l_1_c_a", "replica"),
        ("i.v.o.r.y carving", "ivory carving"),
    ],
)
def test_spaced_letters_are_joined(raw: str, clear: str) -> None:
    assert deobfuscate(raw) == clear


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Réplica Genève", "replica geneve"),
        ("ＲＥＰＬＩＣＡ", "replica"),
        ("rep\u200blica", "replica"),
        ("re\u00adpli\u200dca\ufeff", "replica"),
        ("  many\t\n  spaces  ", "many spaces"),
    ],
    ids=["accents", "fullwidth", "zero-width-space", "soft-hyphen-and-joiners", "whitespace"],
)
def test_fold_strips_accents_and_invisible_characters(raw: str, folded: str) -> None:
    assert fold(raw) == folded
    assert deobfuscate(raw) == folded


def test_fold_does_not_map_leetspeak() -> None:
    assert fold("R3PL1CA") == "r3pl1ca"


@pytest.mark.parametrize(
    "text",
    [
        "1:1",
        "$200",
        "ratio 1:1 scale model for $200",
        "price $1,299.00",
        "model xr-2000",
        "ships in 2-3 days, 10% off",
        "joined 2026-11-02",
    ],
)
def test_plain_numbers_survive(text: str) -> None:
    assert deobfuscate(text) == text


def test_leetspeak_only_maps_tokens_with_a_letter() -> None:
    assert deobfuscate("r3pl1ca for $200 (1:1)") == "replica for $200 (1:1)"


def test_trailing_symbol_look_alike_is_mapped() -> None:
    assert deobfuscate("cheap r3pl1c@ watch") == "cheap replica watch"


def test_leading_symbol_look_alike_is_mapped() -> None:
    assert deobfuscate("$witchblade") == "switchblade"


@pytest.mark.parametrize("text", ["ps5 console", "mp3 player", "covid19 test kit", "5 x 7 frame", "4 pack"])
def test_model_numbers_and_sizes_keep_their_digits(text: str) -> None:
    assert deobfuscate(text) == text
