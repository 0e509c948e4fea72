"""The offline rules adjudicator: a deterministic decider that cites what it relies on.

Each piece of evidence becomes a weighted signal for a policy area (a screened term, a
hash match, an implausible price, a reused photo, a seller's record in that area).
Signals in one area combine as a noisy-or: 1 - prod(1 - w). An area at or above
`STRONG` is a violation, cited by the best retrieved clause of that area; between
`WEAK` and `STRONG` the evidence is inconclusive and a human decides. Only the
seller's own words count as a violation signal: the listing's text and the text read
from its images (a phone number in a photo is the seller speaking); an appeal or a
rights holder's report naming "counterfeit" is not the listing saying it.

An approval must be earned. With the learned risk screen in the toolset, the rules
approve only when no signal fires AND the screen's calibrated violation probability is
below its approval threshold; a screen at its decision threshold rejects or restricts on
its own when a clause of its top area was retrieved; anything between goes to a human,
ranked by that probability.

It never approves on missing evidence: a failed tool, an unknown seller, an image that
could not be checked or whose text could not be read, a screen that did not answer or an
instruction aimed at the reviewer (in the listing, an appeal, or a photo) turns an
approval into an escalation with the reason.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Literal

from auditgraph.agents.adjudicator.assurance import ScreenRead, read_screen
from auditgraph.agents.adjudicator.schema import Verdict
from auditgraph.agents.evidence import EvidenceSet
from auditgraph.tools.case import AnyCase, IpReport, PolicyArea, SellerAppeal
from auditgraph.tools.image_text import IMAGE_FIELD_PREFIX
from auditgraph.tools.policy_retrieval import RetrievedClause

__all__ = ["STRONG", "WEAK", "RulesAdjudicator"]

STRONG = 0.8
"""Area score at which the evidence shows a violation."""
WEAK = 0.4
"""Area score under which signals are noise."""
UNBRANDED_COUNTERFEIT_CAP = 0.5
"""Counterfeit wording in a listing that names no brand weighs at most this."""
REPEAT_OFFENDER_STRIKES = 3


@dataclass(frozen=True)
class _Signal:
    area: PolicyArea
    weight: float
    ref: str
    note: str
    source: Literal["text", "image", "price", "reuse", "history", "screen"]
    clause_id: str | None = None
    brand: str | None = None


@dataclass(frozen=True)
class _Assessment:
    """The evidence read once, shared by every case kind's rule."""

    signals: list[_Signal]
    scores: dict[PolicyArea, float]
    blockers: list[str]
    """Reasons an approval may not stand (failed tools, unknown seller, unchecked images)."""
    injection: bool
    authorized: bool
    repeat_offender: bool
    retrieved: dict[str, RetrievedClause]
    screen: ScreenRead | None
    """The risk screen's reading; None when it was not run or did not answer."""

    def violated(self) -> dict[PolicyArea, float]:
        return {a: s for a, s in self.scores.items() if s >= STRONG}

    def inconclusive(self) -> dict[PolicyArea, float]:
        return {a: s for a, s in self.scores.items() if WEAK <= s < STRONG}


class RulesAdjudicator:
    """Decides from evidence alone, with no model: the embedded default.

    With `require_screen` (the default agent, whose toolset has the risk screen), no
    approval stands without the screen's assurance; without it, approvals rest on the
    rules alone.
    """

    kind: Literal["rules"] = "rules"
    version = "rules-adjudicator/2"

    def __init__(self, *, require_screen: bool = False) -> None:
        self.require_screen = require_screen

    def adjudicate(self, case: AnyCase, evidence: EvidenceSet) -> Verdict:
        """A verdict for `case` from `evidence`; cites only retrieved clauses."""
        found = _assess(case, evidence, require_screen=self.require_screen)
        if isinstance(case, SellerAppeal):
            verdict = _judge_appeal(case, found)
        elif isinstance(case, IpReport):
            verdict = _judge_ip_report(case, found)
        else:
            verdict = _judge_listing(found)
        return _fail_safe(verdict, found)


def _assess(case: AnyCase, evidence: EvidenceSet, *, require_screen: bool = False) -> _Assessment:
    blockers = [f"tool_unavailable:{name}" for name in evidence.failed()]
    screen_read = read_screen(evidence)
    expected = evidence.risk_screen is not None or require_screen
    if screen_read is None and expected and "risk_screen" not in evidence.failed():
        blockers.append("no_screen_assurance")
    seller = evidence.seller_history
    if seller is not None and seller.status == "not_found":
        blockers.append("unknown_seller")
    images = evidence.image_check
    if images is not None:
        blockers += [f"image_{i.status}:{i.ref}" for i in images.unverifiable]
        # A photo whose text could not be read may carry what its listing does not say.
        blockers += [f"image_text_unavailable:{i.ref}" for i in images.unread]
    brands = evidence.brand_check
    named = set(brands.brands) if brands is not None and brands.status == "ok" else set()
    verified = set(seller.verified_brands) if seller is not None and seller.status == "ok" else set()
    authorized = bool(named) and named <= verified
    signals = _text_signals(case, evidence) + _image_signals(evidence) + _price_signals(evidence)
    if authorized:
        # A verified reseller may show the brand's logo and reuse its official photos.
        signals = [s for s in signals if s.source == "text" or (s.brand and s.brand not in verified)]
    signals += _history_signals(evidence, {s.area for s in signals})
    return _Assessment(
        signals=signals,
        scores=_noisy_or(signals),
        blockers=blockers,
        injection=bool(evidence.injection_fields()),
        authorized=authorized,
        repeat_offender=seller is not None and seller.strikes >= REPEAT_OFFENDER_STRIKES,
        retrieved=evidence.retrieved_clauses(),
        screen=screen_read,
    )


def _text_signals(case: AnyCase, evidence: EvidenceSet) -> list[_Signal]:
    """Screened terms in the seller's own words: the listing's text and the text read
    from its images (the seller's photo is the seller speaking)."""
    by_term: dict[tuple[str, str], _Signal] = {}
    for f in evidence.seller_findings():
        if f.area is None:
            continue
        weight = max(f.weight, 0.9) if f.obfuscated else f.weight
        key = (f.area, f.term)
        seen = by_term.get(key)
        # One term is one signal, however many fields repeat it.
        if seen is not None and seen.weight >= weight:
            continue
        how = " (obfuscated)" if f.obfuscated else ""
        by_term[key] = _Signal(
            area=f.area,
            weight=weight,
            ref=_finding_ref(f.field, f.term),
            note=f"{f.kind.replace('_', ' ')} {f.term!r} in {f.field}{how}",
            source="text",
        )
    signals = list(by_term.values())
    if not _names_a_brand(case, evidence):
        # Counterfeiting needs a mark: "replica" on a model kit names none, so wording
        # alone stays inconclusive and a person decides.
        signals = [
            _Signal(**{**s.__dict__, "weight": min(s.weight, UNBRANDED_COUNTERFEIT_CAP)})
            if s.area == "counterfeit_ip"
            else s
            for s in signals
        ]
    return signals


def _finding_ref(field: str, term: str) -> str:
    """Where a screened term was found: the text screen's field, or the image whose text
    held it ("image_check:<image>:text:<term>")."""
    if field.startswith(IMAGE_FIELD_PREFIX):
        return f"image_check:{field.removeprefix(IMAGE_FIELD_PREFIX)}:text:{term}"
    return f"text_screen:{field}:{term}"


def _names_a_brand(case: AnyCase, evidence: EvidenceSet) -> bool:
    if case.listing.brand or isinstance(case, IpReport):
        return True
    brands = evidence.brand_check
    if brands is not None and brands.brands:
        return True
    images = evidence.image_check
    return images is not None and any(m.brand for i in images.images for m in i.matches)


def _image_signals(evidence: EvidenceSet) -> list[_Signal]:
    images = evidence.image_check
    if images is None or images.status != "ok":
        return []
    signals = []
    for image in images.images:
        for m in image.matches:
            signals.append(
                _Signal(
                    area=m.area,
                    weight=0.95 if m.distance <= 10 else 0.85,
                    ref=f"image_check:{image.ref}",
                    note=f"{image.ref} matches {m.label!r} in bank {m.bank} at distance {m.distance}",
                    source="image",
                    clause_id=m.clause_id,
                    brand=m.brand,
                )
            )
        if image.reused_by:
            signals.append(
                _Signal(
                    area="counterfeit_ip",
                    weight=0.3,
                    ref=f"image_check:{image.ref}:reused",
                    note=f"{image.ref} was also used by {len(image.reused_by)} other seller(s)",
                    source="reuse",
                )
            )
    return signals


def _price_signals(evidence: EvidenceSet) -> list[_Signal]:
    brands = evidence.brand_check
    if brands is None or brands.status != "ok" or not brands.price_anomaly:
        return []
    return [
        _Signal(
            area="counterfeit_ip",
            weight=0.5,
            ref="brand_check:price",
            note=(
                f"price {brands.price_usd} USD is {brands.price_ratio:.0%} of the "
                f"{', '.join(brands.brands)} market floor of {brands.market_floor_usd} USD"
            ),
            source="price",
            brand=brands.brands[0],
        )
    ]


def _history_signals(evidence: EvidenceSet, areas: set[PolicyArea]) -> list[_Signal]:
    seller = evidence.seller_history
    if seller is None or seller.status != "ok":
        return []
    return [
        _Signal(
            area=area,  # type: ignore[arg-type]
            weight=min(0.15 * count, 0.3),
            ref="seller_history:upheld_by_area",
            note=f"seller has {count} upheld prior violation(s) in {area}",
            source="history",
        )
        for area, count in seller.upheld_by_area.items()
        if area in areas and count > 0
    ]


def _noisy_or(signals: list[_Signal]) -> dict[PolicyArea, float]:
    by_area: dict[PolicyArea, list[float]] = defaultdict(list)
    for s in signals:
        by_area[s.area].append(s.weight)
    return {a: round(1 - math.prod(1 - w for w in ws), 4) for a, ws in by_area.items()}


def _cite(area: PolicyArea, found: _Assessment) -> list[RetrievedClause]:
    """The clauses a violation in `area` rests on: those the evidence names (a bank
    entry's clause), then, when the listing's own words point there too, the retrieved
    clause of the area that shares most words with those findings (with words read in a
    photo, also with "image" and "photo"; BM25 score breaks ties)."""
    signals = [s for s in found.signals if s.area == area]
    cited = [found.retrieved[s.clause_id] for s in signals if s.clause_id in found.retrieved]
    in_area = [c for c in found.retrieved.values() if c.covers(area)]
    words = {w for s in signals if s.source == "text" for w in _words(s.ref.rsplit(":", 1)[-1])}
    if any(s.source == "text" and s.ref.startswith("image_check:") for s in signals):
        # Words read in a photo point at the clauses on what images may show.
        words |= _IMAGE_WORDS
    best = max(
        in_area,
        key=lambda c: (len(words & _words(" ".join([c.title, c.text, *c.keywords]))), c.score),
        default=None,
    )
    if best is not None and (not cited or words):
        cited.append(best)
    return list({c.clause_id: c for c in cited}.values())


_IMAGE_WORDS = frozenset({"image", "images", "photo", "photos"})


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def _notes(found: _Assessment, areas: set[PolicyArea]) -> list[str]:
    return [s.note for s in found.signals if s.area in areas]


def _refs(found: _Assessment, areas: set[PolicyArea]) -> list[str]:
    return list(dict.fromkeys(s.ref for s in found.signals if s.area in areas))


def _enforce(found: _Assessment, violated: dict[PolicyArea, float], lead: str) -> Verdict:
    """Reject or restrict for the violated areas, each cited by its best retrieved clause."""
    cited: list[RetrievedClause] = []
    uncitable: list[str] = []
    for area in sorted(violated, key=lambda a: -violated[a]):
        clauses = _cite(area, found)
        if not clauses:
            uncitable.append(f"no_citable_clause:{area}")
        cited += [c for c in clauses if c not in cited]
    areas = set(violated)
    notes = "; ".join(_notes(found, areas))
    if not cited:
        return Verdict(
            decision="escalate",
            confidence=0.5,
            rationale=f"{lead} Evidence shows a violation ({notes}) but no retrieved clause covers it.",
            evidence_refs=_refs(found, areas),
            areas=sorted(areas),
            escalation_reasons=uncitable,
        )
    decision = "reject" if any(c.action == "reject" for c in cited) else "restrict"
    titles = ", ".join(f"{c.clause_id} ({c.title})" for c in cited)
    return Verdict(
        decision=decision,
        clause_ids=[c.clause_id for c in cited],
        confidence=min(max(violated.values()), 0.99),
        rationale=f"{lead} Violates {titles}: {notes}.",
        evidence_refs=_refs(found, areas),
        areas=sorted(areas),
        escalation_reasons=uncitable,
    )


def _inconclusive(found: _Assessment, lead: str, reason: str) -> Verdict:
    unsure = found.inconclusive()
    areas = set(unsure)
    return Verdict(
        decision="escalate",
        confidence=round(1 - max(unsure.values(), default=0.5), 4),
        rationale=f"{lead} Signals are inconclusive: {'; '.join(_notes(found, areas))}.",
        evidence_refs=_refs(found, areas),
        areas=sorted(areas),
        escalation_reasons=[f"{reason}:{a}" for a in sorted(areas)],
    )


def _screen_enforces(found: _Assessment, lead: str) -> Verdict | None:
    """Reject or restrict on the screen's confidence alone. The clause cited is the
    retrieved one with the most support from both readings of the listing: the screen's
    probability for the clause's area plus its words' match (BM25, scaled so that
    `BM25_SCALE` counts as much as the screen's certainty). The planner has retrieval
    cover the screen's likely areas, so a listing in slang or another language still has
    a clause of its area to cite; a strong lexical match wins when the screen is right
    that a listing violates and unsure which of two neighbouring areas. When no clause
    has `MIN_SUPPORT` (the screen sure of a violation but not of what kind, and no clause's
    words matching), a person decides: a takedown must name what it breaks."""
    screen = found.screen
    if screen is None or screen.band != "confident" or screen.top_area is None:
        return None
    best = _screen_clause(screen, found.retrieved)
    if best is None or _support(best, screen) < MIN_SUPPORT:
        return None  # the caller escalates: the screen does not clear it
    area = best.area
    signal = _Signal(
        area=area,
        weight=screen.violation,
        ref="risk_screen:violation",
        note=screen.note(),
        source="screen",
        clause_id=best.clause_id,
    )
    score = max(found.scores.get(area, 0.0), screen.violation)
    found = replace(found, signals=[*found.signals, signal], scores={**found.scores, area: score})
    return _enforce(found, {area: score}, lead)


BM25_SCALE = 10.0
"""The BM25 score that weighs as much as the screen's certainty about an area."""


MIN_SUPPORT = 0.6
"""The least support on which the screen may cite a clause alone: its probability for the
clause's area plus the clause's BM25 over `BM25_SCALE`. A chance word in common ("sold as
seen" and "as seen on TV") with an area the screen half-believes is not enough."""


def _support(clause: RetrievedClause, screen: ScreenRead) -> float:
    likely = dict(screen.areas)
    area = max(likely.get(a, 0.0) for a in [clause.area, *clause.also_areas])
    return clause.score / BM25_SCALE + area


def _screen_clause(screen: ScreenRead, retrieved: dict[str, RetrievedClause]) -> RetrievedClause | None:
    # max() keeps the first of equals: the pack's order, an area's general clause first.
    return max(retrieved.values(), key=lambda c: _support(c, screen), default=None)


def _unassured(found: _Assessment, lead: str) -> Verdict | None:
    """An escalation when no rule decides but the screen does not clear the listing."""
    screen = found.screen
    if screen is None or screen.clears:
        return None
    area = screen.top_area
    return Verdict(
        decision="escalate",
        confidence=round(1 - screen.violation, 4),
        rationale=f"{lead} No rule decides it, and the {screen.note()}: not cleared for approval.",
        evidence_refs=["risk_screen:violation"],
        areas=[area] if area else [],
        escalation_reasons=[f"screen_risk:{area}" if area else "screen_risk"],
    )


def _approve(found: _Assessment, lead: str, confidence: float = 0.9) -> Verdict:
    weak = [s for s in found.signals if found.scores[s.area] < WEAK]
    confidence -= 0.05 * len(weak)
    tail = f" Weak signals noted: {'; '.join(s.note for s in weak)}." if weak else ""
    assured = f" Cleared by the {found.screen.note()}." if found.screen is not None else ""
    return Verdict(
        decision="approve",
        confidence=round(max(confidence, 0.5), 4),
        rationale=f"{lead} No evidence of a policy violation in the listing.{tail}{assured}",
        evidence_refs=[s.ref for s in weak] + (["risk_screen:violation"] if found.screen is not None else []),
        areas=sorted({s.area for s in weak}),
    )


def _judge_listing(found: _Assessment) -> Verdict:
    lead = "Listing review."
    if violated := found.violated():
        return _enforce(found, violated, lead)
    if screened := _screen_enforces(found, lead):
        return screened
    if found.inconclusive():
        return _inconclusive(found, lead, "inconclusive")
    return _unassured(found, lead) or _approve(found, lead)


def _judge_appeal(case: SellerAppeal, found: _Assessment) -> Verdict:
    contested = [found.retrieved[c] for c in case.original_decision.clause_ids if c in found.retrieved]
    contested_areas = {c.area for c in contested}
    lead = f"Appeal of {', '.join(case.original_decision.clause_ids)}."
    if violated := found.violated():
        verdict = _enforce(found, violated, f"{lead} Takedown upheld.")
        # The original grounds stand where the evidence still shows a violation of their area.
        still = [
            c.clause_id for c in contested if c.area in violated and c.clause_id not in verdict.clause_ids
        ]
        if still:
            verdict = verdict.model_copy(update={"clause_ids": [*still, *verdict.clause_ids]})
        dropped = [c for c in case.original_decision.clause_ids if c not in verdict.clause_ids]
        if dropped and verdict.clause_ids:
            note = (
                f" It now rests on {', '.join(verdict.clause_ids)}; {', '.join(dropped)} no longer applies."
            )
            verdict = verdict.model_copy(update={"rationale": verdict.rationale + note})
        return verdict
    if screened := _screen_enforces(found, f"{lead} Takedown upheld."):
        return screened
    if found.inconclusive():
        return _inconclusive(found, lead, "appeal_inconclusive")
    if "counterfeit_ip" in contested_areas and not found.authorized:
        documents = ", ".join(d.kind for d in case.new_evidence) or "none"
        return Verdict(
            decision="escalate",
            confidence=0.5,
            rationale=(
                f"{lead} The listing shows no violation now, but the seller is not verified for "
                f"the brand; their documents ({documents}) need a specialist's check."
            ),
            areas=["counterfeit_ip"],
            escalation_reasons=["appeal_requires_document_review"],
        )
    why = " (the seller is a verified reseller of the brand)" if found.authorized else ""
    return _unassured(found, lead) or _approve(found, f"{lead} Takedown overturned{why}.", 0.85)


def _judge_ip_report(case: IpReport, found: _Assessment) -> Verdict:
    brand = case.rights_holder.brand
    lead = f"IP report by {case.rights_holder.name} for {brand}."
    if violated := found.violated():
        return _enforce(found, violated, f"{lead} Report upheld.")
    if screened := _screen_enforces(found, f"{lead} Report upheld."):
        return screened
    if found.authorized:
        return _unassured(found, lead) or _approve(
            found, f"{lead} Report not upheld: the seller is verified for {brand}.", 0.85
        )
    return Verdict(
        decision="escalate",
        confidence=0.5,
        rationale=(
            f"{lead} No counterfeit indicator is strong enough to decide alone and the seller is "
            "not verified for the brand: an IP specialist must weigh the claim."
        ),
        evidence_refs=_refs(found, {"counterfeit_ip"}),
        areas=["counterfeit_ip"],
        escalation_reasons=["ip_dispute_needs_specialist"],
    )


def _fail_safe(verdict: Verdict, found: _Assessment) -> Verdict:
    forcing = ["injection_attempt"] if found.injection else []
    if verdict.decision in ("approve", "escalate") or forcing:
        # Whoever reviews must know which evidence is missing.
        forcing += found.blockers
    if found.repeat_offender and (forcing or verdict.decision == "escalate"):
        forcing.append("repeat_offender")
    if not forcing:
        return verdict
    reasons = list(dict.fromkeys([*forcing, *verdict.escalation_reasons]))
    would_be = "" if verdict.decision == "escalate" else f" Would have decided {verdict.decision}."
    return verdict.model_copy(
        update={
            "decision": "escalate",
            "proposed_decision": verdict.decision if verdict.decision != "escalate" else None,
            "escalation_reasons": reasons,
            "rationale": f"{verdict.rationale}{would_be} Escalated: {', '.join(reasons)}.",
        }
    )
