"""Undo the obfuscations sellers use to slip past keyword filters.

Shared by the text screen and policy retrieval so both read "r3pl!ca" and
"r.e.p.l.i.c.a" as "replica".
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["deobfuscate", "deobfuscate_folded", "fold", "spellings"]

_LEET = str.maketrans(
    {
        "3": "e",
        "1": "i",
        "!": "i",
        "0": "o",
        "@": "a",
        "$": "s",
        "4": "a",
        "5": "s",
        "7": "t",
        "|": "i",
    }
)
_SPACED_LETTERS = re.compile(r"(?<![a-z0-9@$!])(?:[a-z0-9@$!][\s.\-_*]){2,}[a-z0-9@$!](?![a-z0-9@$!])")
# A token of 3+ word-ish characters holding at least one letter and one look-alike.
_TOKEN = re.compile(
    r"(?<![a-z0-9@$!|])(?=[a-z0-9@$!|]*[a-z])(?=[a-z0-9@$!|]*[0-9@$!|])[a-z0-9@$!|]{3,}(?![a-z0-9@$!|])"
)
_SYMBOLS = frozenset("@$!|")
_DIGITS = frozenset("013457")
_SPACE = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def fold(text: str) -> str:
    """Lower-case, strip accents and invisible characters, collapse white space."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACE.sub(" ", text.lower()).strip()


def deobfuscate(text: str) -> str:
    """`fold`, then join spaced-out letters and map leetspeak inside words.

    Numbers standing alone ("1:1", "$200") are left as they are: only tokens that mix
    letters with digit or symbol look-alikes are mapped.
    """
    return deobfuscate_folded(fold(text))


def deobfuscate_folded(text: str) -> str:
    """`deobfuscate` for text that is already folded (saves folding twice)."""
    text = _SPACED_LETTERS.sub(_join_spaced, text)
    return _TOKEN.sub(_unleet, text)


def _join_spaced(match: re.Match[str]) -> str:
    joined = re.sub(r"[\s.\-_*]", "", match.group(0))
    # "f e n t a n y l" is a word spelled out; "5 x 7" is a size and stays as it is.
    return joined if sum(c.isalpha() for c in joined) >= 3 else match.group(0)


def _unleet(match: re.Match[str]) -> str:
    token = match.group(0)
    # Symbols stand for letters anywhere; a digit only when a letter follows it, so model
    # numbers and years ("ps5", "mp3", "covid19") keep their trailing digits.
    last_letter = max(i for i, c in enumerate(token) if c.isalpha())
    return "".join(
        c.translate(_LEET) if c in _SYMBOLS or (c in _DIGITS and i < last_letter) else c
        for i, c in enumerate(token)
    )


_ALT_LEET = str.maketrans({"1": "l", "|": "l"})
_INNER_SEPARATOR = re.compile(r"(?<=[a-z0-9@$!|])[-._*](?=[a-z0-9@$!|])")


def spellings(folded: str, clear: str) -> list[str]:
    """The readings of `folded` worth matching terms against.

    `clear` (its `deobfuscate_folded` form) first; then, where the text gives reason,
    the reading with "1" and "|" as "l" ("super c1one") and the one with separators
    inside words removed ("W-hats-app").
    """
    readings = [clear]
    if "1" in folded or "|" in folded:
        readings.append(deobfuscate_folded(folded.translate(_ALT_LEET)))
    if _INNER_SEPARATOR.search(folded):
        readings.append(deobfuscate_folded(_INNER_SEPARATOR.sub("", folded)))
    return readings
