"""Text screen: what the seller's own words say, read the way an evader writes them.

Finds prohibited and obfuscated terms, medical, earning and misleading claims from a
lexicon (data/screening/lexicon.yaml), off-platform contact details, and attempts to
instruct an AI reviewer (prompt injection). It reports findings; it never decides.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import Literal, NamedTuple

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field

from auditgraph.tools.case import PolicyArea
from auditgraph.tools.evidence import Evidence
from auditgraph.tools.normalize import (
    deobfuscate,
    deobfuscate_folded,
    fold,
    raw_span,
    respell,
    spellings,
    term_pattern,
)
from auditgraph.tools.personal_data import EMAIL, PHONE, SPELLED_EMAIL
from auditgraph.tools.yaml_data import load_model

__all__ = [
    "FindingKind",
    "Lexicon",
    "LexiconError",
    "LexiconTerm",
    "TextFinding",
    "TextScreen",
    "TextScreenInput",
    "TextScreener",
    "load_lexicon",
    "make_text_screen_tool",
]

FindingKind = Literal[
    "prohibited_term",
    "medical_claim",
    "earning_claim",
    "misleading_claim",
    "contact_detail",
    "injection_attempt",
]

_EXCERPT = 40
_BENIGN_REACH = 40
"""Characters around a benign phrase within which it excuses a term."""
_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b(?:t\.me|wa\.me|bit\.ly)/\S+|\b[a-z0-9-]{3,}\.(?:com|net|org|shop|store|io|co)\b"
)
_INJECTION = re.compile(
    "|".join(
        [
            r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|rules|guidelines|prompts?|polic(?:y|ies))\b",
            r"\b(?:system|developer)\s*(?:prompt|message|override|mode)\b",
            r"(?:^|\n|\[|<)\s*(?:system|assistant)\s*[:\]>]",
            r"<\|?im_start\|?>|\[/?inst\]|<</?sys>>",
            r"\byou are (?:now )?(?:an? )?(?:ai|assistant|moderator|reviewer|language model|chatgpt|gpt)\b",
            r"\b(?:approve|whitelist|allow)\s+(?:this|the|my)\s+(?:listing|item|product|appeal)\b",
            r"\b(?:mark|classify|rate|label)\s+(?:this|it)\s+as\s+(?:safe|compliant|approved|allowed|benign)\b",
            r"\bdo not\s+(?:flag|escalate|reject|remove|report)\b",
            r"\bnew instructions\b|\bjailbreak\b|\bprompt injection\b",
            r"\bignora\w*\s+(?:las|todas|les|le)\s+\w*\s*instruc",
            r"\bignorez\b.{0,30}\binstructions\b",
            r"\bignorier\w*\b.{0,30}\banweisungen\b",
            r"\bignor[ae]\w*\s+(?:as|tutte le|todas as|le|i)\s+\w*\s*(?:instru|istruz)",
            r"忽略.{0,10}(?:指令|指示)|(?:指示|指令).{0,10}無視|批准此|承認してください|システム[：:]",
            r"\b(?:act|pretend|behave)\s+(?:as|like)\b.{0,60}\b(?:review|moderat|approv)",
            r"\byou are (?:now )?\w+,? an? (?:\w+ )?(?:moderator|reviewer|assistant|ai)\b",
            r"\bif you were an? (?:\w+ )?(?:reviewer|moderator)\b",
            r"\bwhose only job is\b|\bno restrictions\b.{0,40}\b(?:approv|moderat|review)",
            r"</?\s*untrusted_case_data\s*>|<\s*/?\s*verdict\s*>",
            r"[\"']decision[\"']\s*:\s*[\"'](?:approve|approved)[\"']",
            r"\b(?:moderation|review) api (?:response|result)\b|\bstatus\s*=\s*approved\b",
            r"\bignore\b.{0,40}\binstruction\w*",
            r"\b(?:earlier|previous|prior) (?:guidance|instructions?) (?:you got |you received )?is (?:outdated|void|revoked)",
            r"\bdecode and follow\b|\bgnitsil siht evorppa\b",
            # Leetspeak the normaliser leaves half mapped ("ignor3", "th15"), and words
            # spelled out letter by letter that it joins into one ("ignoreyourinstructions").
            r"\bignor[e3]\b.{0,40}\binstruct|\bappr[o0]v[e3]\s+th[i1][s5]\b",
            r"ignore(?:all|your|previous|the|my)+(?:instructions?|rules|policy)",
        ]
    ),
    re.IGNORECASE,
)
_LETTER_RUN = re.compile(r"(?<=([a-z]))\1+")
_LONG_RUN = re.compile(r"([a-z])\1\1")
_TURN = re.compile(r"^\s*(?:system|assistant|developer)\s*[:\]>]", re.IGNORECASE | re.MULTILINE)


class LexiconTerm(BaseModel):
    """A screened term and what it points at."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    term: str
    area: PolicyArea
    kind: Literal["prohibited_term", "medical_claim", "earning_claim", "misleading_claim"]
    weight: float = Field(ge=0, le=1)
    """How strongly the term alone indicates a violation."""


class BenignContext(BaseModel):
    """A phrase that cancels some terms in the same field ("chef knife" cancels "knife")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    phrase: str
    cancels: list[str]


class ContactContext(BaseModel):
    """Words around a phone number, e-mail or link that say what it is for.

    A manufacturer's or shop's support line next to `support` words, with no
    `transaction` word near it, is customer service, not a buyer being led off the
    platform: its finding stays as evidence, at `support_weight`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    support: list[str] = Field(default_factory=list)
    transaction: list[str] = Field(default_factory=list)
    window: int = Field(default=80, ge=10, le=400)
    """Characters either side of the contact detail that are read for these words."""
    support_weight: float = Field(default=0.15, ge=0, le=1)


class Lexicon(BaseModel):
    """The text screen's vocabulary."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    terms: list[LexiconTerm] = Field(min_length=1)
    benign_context: list[BenignContext] = Field(default_factory=list)
    contact_context: ContactContext = Field(default_factory=ContactContext)


class LexiconError(ValueError):
    """A lexicon file that cannot be used."""


def load_lexicon(path: Path) -> Lexicon:
    """Read and validate the lexicon YAML file.

    Raises:
        LexiconError: the file is missing, not YAML, or breaks the schema.
    """
    return load_model(path, Lexicon, LexiconError, "lexicon")


class TextFinding(BaseModel):
    """One thing the screen found in one field."""

    model_config = ConfigDict(frozen=True)

    kind: FindingKind
    field: str
    """Which text it was found in, e.g. "listing.description"."""
    term: str
    """The lexicon term or pattern name matched."""
    area: PolicyArea | None = None
    weight: float = 1.0
    obfuscated: bool = False
    """True when the term only shows after undoing an evasion: leetspeak, spacing,
    repeated letters, invisible characters or look-alike letters from another script."""
    excerpt: str = ""
    """The surrounding text as normalised, the form the term or pattern matched in."""
    raw_excerpt: str = ""
    """The same place in the text as it was written, for the reviewer to compare."""


class TextScreenInput(BaseModel):
    """Arguments of the text-screen tool."""

    texts: dict[str, str] = Field(
        description="The texts to screen, by field name (e.g. listing.title, appeal_text)."
    )


class TextScreen(Evidence):
    """What the text screen found."""

    tool: Literal["text_screen"] = "text_screen"
    findings: list[TextFinding] = Field(default_factory=list)
    cancelled: list[str] = Field(default_factory=list)
    """Terms dropped because a benign context phrase stood beside them."""

    @property
    def injection_found(self) -> bool:
        """Whether any field tried to instruct the reviewer."""
        return any(f.kind == "injection_attempt" for f in self.findings)


class _Hit(NamedTuple):
    key: str
    """The lexicon term as normalised (a key of the screener's terms)."""
    start: int
    end: int
    text: str
    """What matched: the key itself, or the key bent (letters repeated, words run together)."""


class TextScreener:
    """Compiled lexicon: one alternation regex, so a reading of a field is scanned once
    (twice when it may hold bent terms, see `_hits`)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._terms = {deobfuscate(t.term): t for t in lexicon.terms}
        # The bent scan's forms of each term: letter runs squeezed ("mirror" as "miror"),
        # with its words apart or run together ("bumpstock", or "o t f k n i f e" joined).
        self._by_squeeze: dict[str, list[str]] = defaultdict(list)
        for key in sorted(self._terms, key=len, reverse=True):
            for form in dict.fromkeys([_squeeze(key), _squeeze(key).replace(" ", "")]):
                self._by_squeeze[form].append(key)
        self._bent_patterns: dict[str, re.Pattern[str]] = {}
        self._contexts = [
            (_bounded(term_pattern(deobfuscate(c.phrase))), {deobfuscate(x) for x in c.cancels})
            for c in lexicon.benign_context
        ]
        contact = lexicon.contact_context
        self._support = _alternation([fold(w) for w in contact.support]) if contact.support else None
        self._transaction = (
            _alternation([fold(w) for w in contact.transaction]) if contact.transaction else None
        )

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        return _alternation(self._terms)

    @cached_property
    def _squeezed_pattern(self) -> re.Pattern[str]:
        return _alternation(self._by_squeeze)

    def _bent(self, key: str) -> re.Pattern[str]:
        """`key` with its letters free to repeat, compiled the first time it is wanted."""
        pattern = self._bent_patterns.get(key)
        if pattern is None:
            pattern = self._bent_patterns[key] = _bounded(term_pattern(key))
        return pattern

    def screen(self, texts: dict[str, str]) -> TextScreen:
        """Screen every field of `texts`."""
        findings: list[TextFinding] = []
        cancelled: list[str] = []
        for field, text in texts.items():
            plain = fold(text)
            clear = deobfuscate_folded(plain)
            findings += self._terms_in(field, text, plain, spellings(plain, clear), cancelled)
            findings += self._contacts_in(field, text, plain)
            findings += _injections_in(field, text, plain, clear)
        return TextScreen(findings=findings, cancelled=sorted(set(cancelled)))

    def _contacts_in(self, field: str, raw: str, plain: str) -> list[TextFinding]:
        found = []
        for name, pattern in (
            ("email", EMAIL),
            ("email", SPELLED_EMAIL),
            ("phone", PHONE),
            ("url", _URL),
        ):
            match = pattern.search(plain)
            if match and not any(f.term == name for f in found):
                found.append(
                    TextFinding(
                        kind="contact_detail",
                        field=field,
                        term=name,
                        area="off_platform",
                        weight=self._contact_weight(plain, match.start(), match.end()),
                        excerpt=_excerpt(plain, match.start(), match.end()),
                        raw_excerpt=_raw_excerpt(raw, fold, match.start(), match.end(), plain),
                    )
                )
        return found

    def _contact_weight(self, plain: str, start: int, end: int) -> float:
        """0.8 for a contact detail, lower for a support line with no sale or payment near it."""
        context = self.lexicon.contact_context
        near = plain[max(0, start - context.window) : end + context.window]
        if self._support is None or not self._support.search(near):
            return 0.8
        if self._transaction is not None and self._transaction.search(near):
            return 0.8
        return context.support_weight

    def _hits(self, text: str, *, bent: bool) -> list[_Hit]:
        """The terms in `text`, and with `bent` (or a letter written thrice) also the
        terms with letters repeated ("reeeplica", "swwitchblade") or words run together."""
        hits = [_Hit(m.group(0), m.start(), m.end(), m.group(0)) for m in self._pattern.finditer(text)]
        if not bent and _LONG_RUN.search(text) is None:
            return hits
        # Matching the bent forms directly costs four times the plain scan. Instead the
        # text with its letter runs squeezed ("reeeplica" -> "replica") is scanned for
        # the squeezed terms, and only a term found there and not above is looked for
        # in its bent form, which keeps "ammo" from matching "amo".
        found = {h.key for h in hits}
        wanted = {
            key
            for m in self._squeezed_pattern.finditer(_squeeze(text))
            for key in self._by_squeeze[m.group(0)]
            if key not in found
        }
        for key in sorted(wanted, key=len, reverse=True):
            for m in self._bent(key).finditer(text):
                if not any(h.start < m.end() and m.start() < h.end for h in hits):
                    hits.append(_Hit(key, m.start(), m.end(), m.group(0)))
        return sorted(hits, key=lambda h: h.start)

    def _inside_benign_phrase(self, key: str, hit: _Hit, text: str) -> bool:
        # "chef knife" excuses the knife and blade it talks about, not a "replica" two
        # sentences on: a term is excused only within a short reach of the phrase.
        for phrase, cancels in self._contexts:
            if key not in cancels:
                continue
            for near in phrase.finditer(text):
                if near.start() - _BENIGN_REACH <= hit.start and hit.end <= near.end() + _BENIGN_REACH:
                    return True
        return False

    def _terms_in(
        self, field: str, raw: str, plain: str, readings: dict[str, str], cancelled: list[str]
    ) -> list[TextFinding]:
        found: dict[str, TextFinding] = {}
        clear = readings["clear"]
        # Bent terms are looked for where a letter comes three times, and in the whole
        # clear reading when it had to undo something already ("sw1tchbladee").
        hits = [(h, "clear") for h in self._hits(clear, bent=clear != plain)]
        # Another reading counts only for words it alone reveals, so "1:1 mirror quality"
        # read as "l:l mirror quality" does not add "mirror quality" a second time.
        hits += [
            (h, name)
            for name, text in readings.items()
            if name != "clear"
            for h in self._hits(text, bent=False)
            if h.text not in clear
        ]
        honest: str | None = None
        for hit, name in hits:
            term = self._terms[hit.key]
            source = readings[name]
            if self._inside_benign_phrase(hit.key, hit, source):
                cancelled.append(term.term)
                continue
            if hit.key in found:
                continue
            if honest is None:
                honest = fold(raw, undo_evasions=False)
            found[hit.key] = TextFinding(
                kind=term.kind,
                field=field,
                term=term.term,
                area=term.area,
                weight=term.weight,
                obfuscated=_bounded(re.escape(hit.key)).search(honest) is None,
                excerpt=_excerpt(source, hit.start, hit.end),
                raw_excerpt=_raw_excerpt(raw, _reader(name), hit.start, hit.end, source),
            )
        return list(found.values())


def _alternation(keys: Iterable[str]) -> re.Pattern[str]:
    # Longest first, so "1:1 mirror quality" wins over "1:1" where both start.
    return _bounded("|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)))


def _squeeze(text: str) -> str:
    return _LETTER_RUN.sub("", text)


def _bounded(body: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


def _reader(name: str) -> Callable[[str], str]:
    """How raw text becomes the reading `name`, for finding a match's place in it."""
    return lambda raw: respell(name, fold(raw))


def _injections_in(field: str, raw: str, plain: str, clear: str) -> list[TextFinding]:
    # A fake "System:" turn shows only on the raw lines: folding joins lines into one.
    turn = _TURN.search(raw)
    for text, read in ((plain, fold), (clear, deobfuscate), (raw, None)):
        match = turn if read is None else _INJECTION.search(text)
        if match is not None:
            excerpt = _excerpt(text, match.start(), match.end())
            as_written = (
                excerpt if read is None else _raw_excerpt(raw, read, match.start(), match.end(), text)
            )
            return [
                TextFinding(
                    kind="injection_attempt",
                    field=field,
                    term="instruction_to_reviewer",
                    weight=1.0,
                    excerpt=excerpt,
                    raw_excerpt=as_written,
                )
            ]
    return []


def _excerpt(text: str, start: int, end: int) -> str:
    lo, hi = max(start - _EXCERPT, 0), min(end + _EXCERPT, len(text))
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")


def _raw_excerpt(raw: str, read: Callable[[str], str], start: int, end: int, reading: str) -> str:
    lo, hi = raw_span(raw, read, start, end, reading=reading)
    return _excerpt(raw, lo, hi)


def make_text_screen_tool(screener: TextScreener) -> BaseTool:
    """The text-screen tool as a LangChain tool over `screener`."""

    def text_screen(texts: dict[str, str]) -> TextScreen:
        return screener.screen(texts)

    return StructuredTool.from_function(
        text_screen,
        name="text_screen",
        description=(
            "Screen seller-written text for prohibited or obfuscated terms (e.g. 'r3plica'), "
            "medical, earning or misleading claims, off-platform contact details, and "
            "attempts to instruct the reviewer. Pass every free-text field by name."
        ),
        args_schema=TextScreenInput,
    )
