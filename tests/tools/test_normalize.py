"""Normalisation shared by the text screen and retrieval: undo obfuscation, keep plain numbers."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest

from auditgraph.tools.normalize import (
    deobfuscate,
    deobfuscate_folded,
    fold,
    raw_span,
    respell,
    spellings,
    term_pattern,
)


def _readings(text: str) -> dict[str, str]:
    folded = fold(text)
    return spellings(folded, deobfuscate_folded(folded))


def _read_somehow(text: str, word: str) -> bool:
    """Whether some reading of `text` holds `word` as a whole word."""
    return any(re.search(rf"\b{word}\b", r) for r in _readings(text).values())


# ---------------------------------------------------------------- leetspeak


@pytest.mark.parametrize(
    ("raw", "clear"),
    [
        ("r3pl1ca", "replica"),
        ("R3PL!CA", "replica"),
        ("sw1tchbl@de", "switchblade"),
        ("fent@nyl 0xyc0d0ne", "fentanyl oxycodone"),
        ("5ilencer", "silencer"),
        ("c0caine", "cocaine"),
        ("k3tamine", "ketamine"),
        ("1gn0re", "ignore"),
    ],
)
def test_leetspeak_inside_words_is_mapped(raw: str, clear: str) -> None:
    assert deobfuscate(raw) == clear


@pytest.mark.parametrize(
    ("raw", "word"),
    [
        ("automatic switchblad3", "switchblade"),
        ("top grade replic4 watch", "replica"),
        ("pure c0cain3", "cocaine"),
        ("r3plic4!", "replica"),
        ("c0cain3", "cocaine"),
        ("fentany1 patches", "fentanyl"),
    ],
    ids=[
        "trailing-3",
        "trailing-4",
        "inner-and-trailing",
        "trailing-before-bang",
        "after-a-mapped-digit",
        "trailing-1-as-l",
    ],
)
def test_leet_digits_the_clear_reading_leaves_are_read_by_another(raw: str, word: str) -> None:
    assert word not in deobfuscate(raw)
    assert _read_somehow(raw, word)


def test_trailing_leet_digit_is_the_lookalike_reading() -> None:
    assert _readings("switchblad3") == {"clear": "switchblad3", "lookalike": "switchblade"}
    assert _readings("replic4")["lookalike"] == "replica"


def test_a_run_of_leet_digits_is_read_in_the_lookalike_reading() -> None:
    # "c00caine" reads "coocaine": the screen's term pattern lets the "o" repeat.
    assert deobfuscate("c00caine") == "c00caine"
    reading = _readings("c00caine")["lookalike"]
    assert reading == "coocaine"
    assert re.fullmatch(term_pattern("cocaine"), reading)


@pytest.mark.parametrize(
    ("raw", "clear"),
    [
        ("$witchblade", "switchblade"),
        ("cheap r3pl1c@ watch", "cheap replica watch"),
        ("repl|ca", "replica"),
        ("R3PL!CA!", "replica!"),
    ],
)
def test_symbol_look_alikes_are_mapped(raw: str, clear: str) -> None:
    assert deobfuscate(raw) == clear


@pytest.mark.parametrize(
    "text",
    ["Great knife!", "Great knife set!", "wow!! so sharp!", "pick one | two", "best knife!!!"],
)
def test_punctuation_ending_a_word_stays_punctuation(text: str) -> None:
    assert deobfuscate(text) == text.lower()
    assert all("knifei" not in r and "wowi" not in r for r in _readings(text).values())


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
        "ps5 console",
        "mp3 player",
        "iphone 15",
        "iphone15pro max",
        "covid19 test kit",
        "4k tv",
        "bmw x5",
        "made in 2024",
        "5 x 7 frame",
        "4 pack",
        "4x4 truck",
        "4wd pickup",
        "rtx 4090",
        "win10 laptop",
    ],
)
def test_model_numbers_sizes_years_and_prices_survive(text: str) -> None:
    assert deobfuscate(text) == text


def test_leetspeak_only_maps_tokens_with_a_letter() -> None:
    assert deobfuscate("r3pl1ca for $200 (1:1)") == "replica for $200 (1:1)"


def test_a_reading_is_added_only_when_it_differs() -> None:
    assert _readings("Handmade ceramic mug, dishwasher safe") == {
        "clear": "handmade ceramic mug, dishwasher safe"
    }


def test_respell_recomputes_a_named_reading() -> None:
    folded = fold("super c1one, replic4")
    for name, text in spellings(folded, deobfuscate_folded(folded)).items():
        assert respell(name, folded) == text


# ---------------------------------------------------------------- spacing and repetition


@pytest.mark.parametrize(
    ("raw", "clear"),
    [
        ("r.e.p.l.i.c.a", "replica"),
        ("r e p l i c a watch", "replica watch"),
        ("R-E-P-L-I-C-A", "replica"),
        ("r_3_p_l_1_c_a", "replica"),
        ("i.v.o.r.y carving", "ivory carving"),
        ("f e n t a n y l", "fentanyl"),
        ("r . e . p . l . i . c . a", "replica"),
        ("r - e - p - l - i - c - a", "replica"),
        ("r/e/p/l/i/c/a", "replica"),
        ("r•e•p•l•i•c•a", "replica"),
        ("O.T.F k.n.i.f.e", "otf knife"),
    ],
)
def test_spaced_letters_are_joined(raw: str, clear: str) -> None:
    assert deobfuscate(raw) == clear


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("replica", "reeeplica"),
        ("switchblade", "sssswitchblade"),
        ("switchblade", "swwitchbladeeee"),
        ("mirror quality", "mirrrrror quaaality"),
        ("ammo", "ammmmo"),
        ("otf knife", "otfknife"),
        ("1:1 mirror quality", "1:1 miirror quality"),
    ],
)
def test_term_pattern_lets_letters_repeat(term: str, text: str) -> None:
    assert re.fullmatch(term_pattern(term), text)


@pytest.mark.parametrize(("term", "text"), [("ammo", "amo"), ("mirror", "miror"), ("replica", "replicas")])
def test_term_pattern_does_not_shrink_or_extend_a_term(term: str, text: str) -> None:
    assert re.fullmatch(term_pattern(term), text) is None


# ---------------------------------------------------------------- invisible characters


def _format_characters() -> list[str]:
    return [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]


def test_every_format_character_is_removed() -> None:
    kept = [f"U+{ord(c):04X}" for c in _format_characters() if fold(f"rep{c}lica") != "replica"]
    assert kept == []
    assert len(_format_characters()) > 150  # the whole category, not a sample


@pytest.mark.parametrize(
    "char",
    [
        "\u200e",  # left-to-right mark
        "\u200f",  # right-to-left mark
        "\u2063",  # invisible separator
        "\u2062",  # invisible times
        "\u200b",  # zero width space
        "\u200c",  # zero width non-joiner
        "\u200d",  # zero width joiner
        "\u2060",  # word joiner
        "\ufeff",  # byte order mark
        "\u00ad",  # soft hyphen
        "\u202e",  # right-to-left override
        "\u2066",  # left-to-right isolate
        "\u061c",  # Arabic letter mark
        "\u180e",  # Mongolian vowel separator
        "\U000e0041",  # tag latin capital letter a
        "\ufff9",  # interlinear annotation anchor
        "\ufe0f",  # variation selector-16 (a mark, default-ignorable)
        "\U000e0100",  # variation selector-17
        "\u034f",  # combining grapheme joiner
        "\u180b",  # Mongolian free variation selector
        "\u3164",  # Hangul filler
        "\u17b4",  # Khmer vowel inherent
        "\x00",
        "\x08",
        "\x1f",
        "\x7f",
        "\x9b",  # C1 control
    ],
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_invisible_characters_inside_a_word_are_removed(char: str) -> None:
    assert fold(f"swi{char}tch{char}blade") == "switchblade"
    assert fold(f"Vintage swi{char}tchblade") == "vintage switchblade"


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Réplica Genève", "replica geneve"),
        ("ＲＥＰＬＩＣＡ", "replica"),
        ("𝐫𝐞𝐩𝐥𝐢𝐜𝐚", "replica"),
        ("rep\u200blica", "replica"),
        ("re\u00adpli\u200dca\ufeff", "replica"),
        ("  many\t\n  spaces  ", "many spaces"),
        ("r\u0338e\u0334p\u0337l\u0336i\u0335c\u0338a\u0337", "replica"),
    ],
    ids=[
        "accents",
        "fullwidth",
        "mathematical-bold",
        "zero-width-space",
        "soft-hyphen-and-joiners",
        "whitespace",
        "stacked-marks",
    ],
)
def test_fold_strips_accents_and_invisible_characters(raw: str, folded: str) -> None:
    assert fold(raw) == folded
    assert deobfuscate(raw) == folded


def test_fold_does_not_map_leetspeak() -> None:
    assert fold("R3PL1CA") == "r3pl1ca"


def test_line_breaks_and_tabs_are_white_space() -> None:
    assert fold("replica\twatch\r\nbox\x0bset") == "replica watch box set"


# ---------------------------------------------------------------- look-alike letters


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("sw\u0456tchblade", "switchblade"),  # Cyrillic і
        ("r\u0435\u0440lica", "replica"),  # Cyrillic е, р
        ("SW\u0406TCHBLADE", "switchblade"),  # Cyrillic І, the upper-case I look-alike
        ("R\u0415\u0420LICA", "replica"),  # Cyrillic Е, Р (which imitates P)
        ("\u0455witchblade", "switchblade"),  # Cyrillic ѕ
        ("\u0441\u043ec\u0430ine", "cocaine"),  # Cyrillic с, о, а
        ("sw\u0456\u0442chblade", "switchblade"),  # Cyrillic т, a small-capital T
        ("replic\u03b1", "replica"),  # Greek α
        ("sw\u03b9tchblade", "switchblade"),  # Greek ι
        ("\u03bfxycodone", "oxycodone"),  # Greek ο
        ("RE\u03a1LICA", "replica"),  # Greek Ρ
        ("\u0280\u1d07\u1d18\u029f\u026a\u1d04\u1d00", "replica"),  # Latin small capitals
        ("c\u0966caine", "cocaine"),  # Devanagari zero in a Latin word
        ("sw1tchbl\u0430d\u0435", "sw1tchblade"),  # look-alikes and leetspeak together
    ],
)
def test_look_alike_letters_in_a_latin_word_fold_to_latin(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_look_alikes_and_leetspeak_together_are_read() -> None:
    assert deobfuscate("sw1tchbl\u0430d\u0435") == "switchblade"
    assert deobfuscate("R\u0415PL!C\u0410 1:1") == "replica 1:1"


RUSSIAN = "Продаю новый кухонный нож, почти не использовался. Цена 500 рублей, самовывоз."
GREEK = "Μαχαίρι κουζίνας από ανοξείδωτο ατσάλι, σε άριστη κατάσταση."


@pytest.mark.parametrize(
    "text",
    [RUSSIAN, GREEK, "Ψάρι", "Ёлка и йогурт"],
    ids=["russian", "greek", "greek-word", "russian-yo-and-short-i"],
)
def test_text_in_another_script_is_not_turned_into_latin(text: str) -> None:
    assert fold(text) == text.lower()
    assert deobfuscate(text) == text.lower()


def test_a_word_wholly_in_look_alike_letters_is_read_as_latin_only_in_the_lookalike_reading() -> None:
    text = "Buy \u0455\u0440\u0456\u0441\u0435 here"  # "spice" in Cyrillic letters only
    assert fold(text) == "buy \u0455\u0440\u0456\u0441\u0435 here"
    assert _readings(text)["lookalike"] == "buy spice here"


def test_fold_can_keep_the_evasions_to_tell_hidden_terms_apart() -> None:
    assert fold("Sw\u0456tch\u200eblade", undo_evasions=False) == "sw\u0456tch\u200eblade"
    assert fold("ＲÉPLICA", undo_evasions=False) == "replica"


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("I \u2764\ufe0f my dog \U0001f436", "i \u2764 my dog \U0001f436"),
        (
            "family \U0001f468\u200d\U0001f469\u200d\U0001f467 frame",
            "family \U0001f468\U0001f469\U0001f467 frame",
        ),
        ("\U0001f52a\U0001f52a sale \u2b50\ufe0f5", "\U0001f52a\U0001f52a sale \u2b505"),
    ],
    ids=["heart-with-variation-selector", "family-with-joiners", "knife-emoji"],
)
def test_emoji_lose_only_their_joiners_and_selectors(raw: str, folded: str) -> None:
    # The joiners and selectors are default-ignorable; the pictures themselves stay.
    assert fold(raw) == folded
    assert deobfuscate(raw) == folded


# ---------------------------------------------------------------- back to the text as written


@pytest.mark.parametrize(
    ("raw", "word", "written"),
    [
        ("Vintage collector automatic switchblade", "switchblade", "switchblade"),
        ("Top sw1tchbl@de for collectors", "switchblade", "sw1tchbl@de"),
        ("Genuine  rep\u200blica\u2063 watch", "replica", "rep\u200blica"),
        ("Orvelle – r\u0435\u0440lica, 1:1", "replica", "r\u0435\u0440lica"),
        ("Pure  f e n t a n y l  patches", "fentanyl", "f e n t a n y l"),
        ("ＲＥＰＬＩＣＡ watch", "replica", "ＲＥＰＬＩＣＡ"),
    ],
)
def test_raw_span_finds_the_match_as_written(raw: str, word: str, written: str) -> None:
    reading = deobfuscate(raw)
    start = reading.index(word)
    lo, hi = raw_span(raw, deobfuscate, start, start + len(word))
    assert raw[lo:hi] == written
