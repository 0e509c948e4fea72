"""Undo the obfuscations sellers use to slip past keyword filters.

Shared by the text screen, policy retrieval and the brand check, so all of them read
"r3pl!ca", "r.e.p.l.i.c.a", "rерlica" (Cyrillic р and е) and "rep\\u200blica" as "replica".

`fold` undoes what hides a word from a byte comparison: compatibility forms (NFKC:
fullwidth and mathematical letters), invisible characters (every format character,
Unicode category Cf, plus the other default-ignorable code points: variation selectors,
the combining grapheme joiner, Hangul fillers), look-alike letters from other scripts
inside a Latin word, case and Latin accents. `deobfuscate_folded` then joins spaced-out
letters and reads leetspeak inside words. `spellings` adds the riskier readings that
only ever add matches (a digit at a word's end read as a letter, "1" as "l", words
written wholly in look-alike letters), and `term_pattern` lets a term's letters repeat.

Look-alikes follow Unicode's confusables (UTS #39) as packaged by `confusable_homoglyphs`:
MIT-licensed, generated straight from Unicode's confusables.txt and Scripts.txt (so the
data's provenance is the Unicode Consortium's, not a hand-kept table), maintained again
since 2024 and packaged by Debian. The others weighed: `confusables` and `homoglyphs`
are unmaintained since 2021 and 2020 (the first also mixes in its own non-Unicode
mappings such as "a" -> "@"); `unidecode` (GPL) and `anyascii` transliterate by sound,
which reads Cyrillic "р" as "r" when it looks like "p" and turns whole Russian words
into Latin; PyICU's SpoofChecker is the reference implementation but needs ICU and a
compiler on every machine, and `icu4py`, which ships ICU, does not expose it. The data
(about 1 MB of JSON) loads on the first text that is not plain ASCII: ASCII text, most
listings, never leaves the fast path.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache
from types import ModuleType

__all__ = [
    "deobfuscate",
    "deobfuscate_folded",
    "fold",
    "raw_span",
    "respell",
    "spellings",
    "term_pattern",
]

_SPACE = re.compile(r"\s+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# C0 controls and DEL, less the white space that separates words.
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_WHITE_CONTROLS = frozenset("\t\n\x0b\x0c\r\x85")
# Default_Ignorable_Code_Point (DerivedCoreProperties.txt) beyond category Cf, which
# unicodedata does not expose: found by name, so every variation selector is caught.
_IGNORABLE_NAMES = ("VARIATION SELECTOR", "COMBINING GRAPHEME JOINER", "FILLER", "KHMER VOWEL INHERENT")
# Anchored at a word's start so a long ASCII token costs one scan, not one per character.
_NON_ASCII_WORD = re.compile(r"(?<!\S)\S*?[^\x00-\x7f]\S*")
_MARKS_AFTER_ASCII = re.compile(r"(?<=[\x00-\x7f])[^\x00-\x7f]+")

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
# Letters spelled out one by one, with white space or any one symbol between them
# ("r.e.p.l.i.c.a", "r - e - p", "r•e•p"); the leet symbols are letters here, not gaps.
_SEPARATOR = r"(?:[^\w\s@$!|]|_)"
_SPACED_LETTERS = re.compile(
    rf"(?<![a-z0-9@$!])(?:[a-z0-9@$!](?:\s?{_SEPARATOR}\s?|\s)){{2,}}[a-z0-9@$!](?![a-z0-9@$!])"
)
_SYMBOL_GAP = re.compile(rf"\s?{_SEPARATOR}\s?")
# A token of 3+ word-ish characters holding at least one letter and one look-alike.
_TOKEN = re.compile(
    r"(?<![a-z0-9@$!|])(?=[a-z0-9@$!|]*[a-z])(?=[a-z0-9@$!|]*[0-9@$!|])[a-z0-9@$!|]{3,}(?![a-z0-9@$!|])"
)
_ANYWHERE = frozenset("@$")
_NOT_AT_END = frozenset("!|")
# Runs of digits that are all leet digits (a run with a "2" or a "9" is a number).
_DIGIT_RUN = re.compile(r"(?<![0-9])[013457]+(?![0-9])")
# Where the loose reading may read a digit the clear one left: a run between letters,
# or one digit starting or ending a word.
_LOOSE_DIGIT = re.compile(r"[a-z][013457]+[a-z]|(?<![a-z0-9])[013457][a-z]|[a-z][013457](?![a-z0-9])")
# "1" or "|" touching a letter ("c1one", "fentany1"), not "1 year" or "$1,299".
_L_FOR_1 = re.compile(r"[a-z][1|]|[1|][a-z]")
_ALT_LEET = str.maketrans({"1": "l", "|": "l"})
_INNER_SEPARATOR = re.compile(r"(?<=[a-z0-9@$!|])[-._*](?=[a-z0-9@$!|])")


def fold(text: str, *, undo_evasions: bool = True) -> str:
    """Lower-case, NFKC, strip Latin accents and invisible characters, collapse white space.

    Look-alike letters from other scripts inside a Latin word become the Latin letters
    they imitate ("swіtchblade" with a Cyrillic і); words wholly in another script stay
    as written. `undo_evasions=False` folds only what honest text varies in (case,
    width, accents, white space): a term that shows only in the full fold was hidden.
    """
    if text.isascii():
        if undo_evasions:
            text = _ASCII_CONTROLS.sub("", text)
        return _SPACE.sub(" ", text.lower()).strip()
    text = unicodedata.normalize("NFKC", text)
    if undo_evasions:
        text = _drop_ignorable(_ASCII_CONTROLS.sub("", text))
        # Before case folding: an upper-case look-alike imitates an upper-case letter.
        text = _NON_ASCII_WORD.sub(_fold_mixed_word, text)
    text = _strip_latin_marks(text.lower())
    return _SPACE.sub(" ", text).strip()


def deobfuscate(text: str) -> str:
    """`fold`, then join spaced-out letters and map leetspeak inside words.

    Numbers standing alone ("1:1", "$200") are left as they are: only tokens that mix
    letters with digit or symbol look-alikes are mapped.
    """
    return deobfuscate_folded(fold(text))


def deobfuscate_folded(text: str) -> str:
    """`deobfuscate` for text that is already folded (saves folding twice)."""
    return _deobfuscate(text, loose=False)


def spellings(folded: str, clear: str) -> dict[str, str]:
    """The readings of `folded` worth matching terms against, by name.

    `clear` (its `deobfuscate_folded` form) first, as "clear"; then, where the text
    gives reason: "l_for_1", "1" and "|" read as "l" ("super c1one"); "joined",
    separators inside words removed ("W-hats-app"); "lookalike", the leet digits the
    clear reading leaves (one ending a word, "replic4"; a run inside one, "c00caine")
    read as letters, and words written wholly in look-alike letters of another script
    read as Latin. These only add matches: "ps5" stays "ps5" in the clear reading, and
    a Russian word stays Russian in all but the last.
    """
    readings = {"clear": clear}
    for name, (wanted, read) in _READINGS.items():
        if wanted(folded, clear):
            text = read(folded)
            if text != clear:
                readings[name] = text
    return readings


def respell(name: str, folded: str) -> str:
    """The reading `name` (a key `spellings` returns) of `folded`."""
    return deobfuscate_folded(folded) if name == "clear" else _READINGS[name][1](folded)


def term_pattern(term: str) -> str:
    """A regex source matching `term` as evaders bend it: letters repeated ("reeeplica",
    a run may grow but not shrink: "ammo" matches "ammmo", not "amo") and words run
    together ("otfknife", which is also what "o t f k n i f e" joins into).
    """
    parts = []
    for run in re.finditer(r"(.)\1*", term):
        char, size = run.group(1), len(run.group(0))
        if char == " ":
            parts.append(" ?")
        elif not char.isalpha():
            parts.append(re.escape(run.group(0)))
        else:
            parts.append(re.escape(char) + ("+" if size == 1 else f"{{{size},}}"))
    return "".join(parts)


def raw_span(
    raw: str, read: Callable[[str], str], start: int, end: int, *, reading: str | None = None
) -> tuple[int, int]:
    """Where `read(raw)[start:end]` came from in `raw`, for showing the text as written.

    `read` is the normalisation the match was found in (e.g. `deobfuscate`); pass its
    result as `reading` when it is at hand. A reading grows with its input, so the span
    is found by reading ever longer beginnings of `raw`, starting from where a
    proportional guess puts it: a couple of readings when nothing before the match
    changed length, a few more when something did.
    """
    if reading is None:
        reading = read(raw)
    # Nothing but case changed, or ASCII text that only lost characters on the way
    # (white space, separators, controls) or swapped them one for one (leetspeak) and
    # so lost none: the same places.
    if reading == raw.lower() and len(reading) == len(raw):
        return start, end
    if raw.isascii() and len(reading) == len(raw):
        return start, end
    if not reading:
        return 0, 0
    scale = len(raw) / len(reading)
    first = _shortest_prefix(raw, read, start + 1, round((start + 1) * scale)) - 1
    last = _shortest_prefix(raw, read, end, round(end * scale))
    return max(first, 0), max(last, first + 1)


def _shortest_prefix(raw: str, read: Callable[[str], str], target: int, guess: int) -> int:
    # Invariant: the reading of raw[:lo] is shorter than target, that of raw[:hi] is not.
    lo, hi = 0, len(raw)
    if target <= 0:
        return 0
    probe, step = min(max(guess, lo + 1), hi), 1
    while hi - lo > 1:
        if len(read(raw[:probe])) >= target:
            hi, probe = probe, probe - step
        else:
            lo, probe = probe, probe + step
        step *= 2
        if not lo < probe < hi:
            probe = (lo + hi) // 2
    return hi


# ---------------------------------------------------------------- leetspeak and spacing


def _deobfuscate(text: str, *, loose: bool) -> str:
    text = _SPACED_LETTERS.sub(_join_spaced, text)
    return _TOKEN.sub(lambda m: _unleet(m.group(0), loose=loose), text)


def _join_spaced(match: re.Match[str]) -> str:
    spelled = match.group(0)
    joined = _SYMBOL_GAP.sub("", spelled)
    # Spelled with symbols, a bare space parts words ("o.t.f k.n.i.f.e"); spelled with
    # spaces alone, every space goes ("f e n t a n y l").
    if joined == spelled:
        joined = joined.replace(" ", "")
    # "f e n t a n y l" is a word spelled out; "5 x 7" is a size and stays as it is.
    return joined if sum(c.isalpha() for c in joined) >= 3 else spelled


def _unleet(token: str, *, loose: bool) -> str:
    # "@" and "$" stand for letters anywhere; "!" and "|" only before a letter, so
    # "great knife!" keeps its "!". Digits go by runs (`_digits_read`).
    last_letter = max(i for i, c in enumerate(token) if c.isalpha())
    chars = [
        c.translate(_LEET) if c in _ANYWHERE or (c in _NOT_AT_END and i < last_letter) else c
        for i, c in enumerate(token)
    ]
    for run in _DIGIT_RUN.finditer(token):
        if _digits_read(token, run.start(), run.end(), loose=loose):
            chars[run.start() : run.end()] = run.group(0).translate(_LEET)
    return "".join(chars)


def _digits_read(token: str, start: int, end: int, *, loose: bool) -> bool:
    """Whether the run of leet digits token[start:end] stands for letters.

    Strictly: one digit between letters ("r3pl1ca"), or starting a word of three
    letters or more ("5ilencer", "1gn0re"). Loosely, as well: a run between letters
    ("c00caine"), and one digit starting or ending a word ("replic4"). Never a run at
    a word's edge, which is a number ("covid19", "350ml", "iphone15pro"), and strictly
    never a digit before two letters or fewer ("4x4", "4wd") or ending a word ("ps5").
    """
    before = token[start - 1] if start else ""
    # "!" or "|" ending the word is punctuation, so "replic4!" ends in a digit.
    rest = token[end:].rstrip("!|")
    after = rest[0] if rest else ""
    lone = end - start == 1
    inside = _wordish(before) and _wordish(after)
    if loose:
        return inside or (lone and (_wordish(before) or _wordish(after)))
    if not lone:
        return False
    if before:
        return inside
    return after.isalpha() and sum(c.isalpha() for c in token) >= 3


def _wordish(char: str) -> bool:
    return char.isalpha() or (char != "" and char in "@$!|")


def _wants_loose(folded: str, clear: str) -> bool:
    if not folded.isascii():
        return True
    # `in` first: most text has no leet digit left, and a substring test costs far less.
    return any(d in clear for d in "013457") and _LOOSE_DIGIT.search(clear) is not None


def _wants_l(folded: str, clear: str) -> bool:
    return ("1" in folded or "|" in folded) and _L_FOR_1.search(folded) is not None


def _read_lookalikes(folded: str) -> str:
    if not folded.isascii():
        folded = _NON_ASCII_WORD.sub(_fold_lookalike_word, folded)
    return _deobfuscate(folded, loose=True)


_READINGS: dict[str, tuple[Callable[[str, str], bool], Callable[[str], str]]] = {
    "l_for_1": (
        _wants_l,
        lambda folded: deobfuscate_folded(folded.translate(_ALT_LEET)),
    ),
    "joined": (
        lambda folded, _: _INNER_SEPARATOR.search(folded) is not None,
        lambda folded: deobfuscate_folded(_INNER_SEPARATOR.sub("", folded)),
    ),
    "lookalike": (_wants_loose, _read_lookalikes),
}


# ---------------------------------------------------------------- invisible characters


def _drop_ignorable(text: str) -> str:
    drop = {ord(c): None for c in set(_NON_ASCII.findall(text)) if _ignorable(c)}
    return text.translate(drop) if drop else text


@lru_cache(maxsize=4096)
def _ignorable(char: str) -> bool:
    category = unicodedata.category(char)
    if category == "Cf":
        return True
    if category == "Cc":
        return char not in _WHITE_CONTROLS
    name = unicodedata.name(char, "")
    return any(part in name for part in _IGNORABLE_NAMES)


def _strip_latin_marks(text: str) -> str:
    # Accents come off Latin letters ("Genève"); a mark on another script's letter is
    # part of that letter (Russian "й" is not an accented "и") and stays.
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _MARKS_AFTER_ASCII.sub(_drop_leading_marks, decomposed))


def _drop_leading_marks(match: re.Match[str]) -> str:
    # An invisible mark (a variation selector) is no accent: it goes with the evasions.
    run = match.group(0)
    kept = 0
    while kept < len(run) and unicodedata.category(run[kept]).startswith("M") and not _ignorable(run[kept]):
        kept += 1
    return run[kept:]


# ---------------------------------------------------------------- look-alike letters


@cache
def _homoglyphs() -> tuple[ModuleType, ModuleType]:
    # Imported on first use: loading the data costs ~30 ms that ASCII text never pays.
    from confusable_homoglyphs import categories, confusables

    return categories, confusables


@lru_cache(maxsize=8192)
def _script(char: str) -> str:
    categories, _ = _homoglyphs()
    return str(categories.alias(char))


@lru_cache(maxsize=8192)
def _ascii_lookalike(char: str) -> str | None:
    """The ASCII text `char` imitates by UTS #39, or None (ASCII itself, or no look-alike)."""
    if char.isascii():
        return None
    _, confusables = _homoglyphs()
    found = confusables.is_confusable(char, greedy=True) or []
    # The data lists both directions (a look-alike and what looks like it): of those,
    # only the ASCII prototype is wanted. A Latin small capital ("ᴛ", the UTS #39 target
    # of Cyrillic "т") counts as its letter.
    targets = {_plain_latin(h["c"]) for entry in found for h in entry["homoglyphs"]}
    ascii_targets = {t for t in targets if _usable(char, t)}
    if not ascii_targets:
        own = _plain_latin(char)
        ascii_targets = {own} if _usable(char, own) else set()
    if len(ascii_targets) != 1:
        return None
    (target,) = ascii_targets
    # UTS #39 writes shapes, not letters: the I/l glyph as "l" (an upper-case look-alike
    # such as Cyrillic "І" means "I") and the m glyph as "rn".
    if target == "l" and char.isupper():
        return "I"
    return "m" if target == "rn" else target


def _usable(char: str, target: str) -> bool:
    # A letter stands for letters ("Ɓ" is not "'B"); a symbol for any visible ASCII.
    if not target.isascii() or not target.strip():
        return False
    return target.isalnum() or not char.isalpha()


def _plain_latin(text: str) -> str:
    out = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char).startswith("M"):
            continue
        name = unicodedata.name(char, "")
        if name.startswith("LATIN LETTER SMALL CAPITAL ") and len(name) == 28:
            char = name[-1].lower()
        out.append(char)
    return "".join(out)


def _letters(word: str) -> tuple[bool, bool, bool]:
    """Whether `word` has Latin letters, look-alikes of them, and letters like neither."""
    latin = lookalike = False
    for char in word:
        if not char.isalpha():
            continue  # digits, punctuation and marks belong to no one script
        if char.isascii() or _script(char) == "LATIN":
            latin = True
        elif _ascii_lookalike(char) is not None:
            lookalike = True
        else:
            return latin, lookalike, True
    return latin, lookalike, False


def _fold_mixed_word(match: re.Match[str]) -> str:
    word = match.group(0)
    latin, _, foreign = _letters(word)
    # A Latin word with look-alikes in it is folded whole (digits and punctuation too:
    # "c०caine" with a Devanagari zero). A word with a letter that imitates nothing,
    # or with no Latin letter at all, is another language's and stays as written.
    if not latin or foreign:
        return word
    return "".join(_ascii_lookalike(c) or c for c in word)


def _fold_lookalike_word(match: re.Match[str]) -> str:
    word = match.group(0)
    _, lookalike, foreign = _letters(word)
    if foreign or not lookalike:
        return word
    return "".join(_ascii_lookalike(c) or c for c in word)
