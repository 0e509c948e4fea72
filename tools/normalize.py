"""Undo the obfuscations sellers use to slip past keyword filters.

Shared by the text screen and policy retrieval so both read "r3pl!ca" and
"r.e.p.l.i.c.a" as "replica".
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["deobfuscate", "fold"]

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
_SPACED_LETTERS = re.compile(r"\b(?:[a-z0-9@$!][\s.\-_*]){2,}[a-z0-9@$!]\b")
_LEET_WORD = re.compile(r"\b(?=[a-z0-9@$!|]*[a-z])(?=[a-z0-9@$!|]*[0-9@$!|])[a-z0-9@$!|]{3,}\b")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def fold(text: str) -> str:
    """Lower-case, strip accents and invisible characters, collapse white space."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.lower()).strip()


def deobfuscate(text: str) -> str:
    """`fold`, then join spaced-out letters and map leetspeak inside words.

    Numbers standing alone ("1:1", "$200") are left as they are: only tokens that mix
    letters with digit or symbol look-alikes are mapped.
    """
    text = fold(text)
    text = _SPACED_LETTERS.sub(lambda m: re.sub(r"[\s.\-_*]", "", m.group(0)), text)
    return _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)
