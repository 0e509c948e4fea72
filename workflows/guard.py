"""The guard: rules no decider may overrule, applied to every verdict.

- a reject or restrict must cite at least one clause;
- every cited clause must be one policy retrieval returned for this case;
- an approval may not rest on failed tools, an unknown seller, unchecked images or
  images whose text could not be read;
- an approval may not stand against strong evidence of a violation (in the listing's
  text or the text of its images);
- an approval may not stand when the risk screen scored the listing at or above its
  approval threshold;
- an attempt to instruct the reviewer (in any text, a photo's included) sends the case
  to a human;
- a decision touching a high or critical area needs the confidence bar;
- an escalation by the decider stands.

Any failed rule escalates with its reason: a failure never becomes an approval.
"""

from __future__ import annotations

from auditgraph.agents import EvidenceSet, Verdict
from auditgraph.agents.adjudicator.assurance import read_screen
from auditgraph.tools.case import SEVERITY_RANK, Severity
from auditgraph.tools.policy_retrieval import RetrievedClause
from auditgraph.workflows.context import GuardPolicy
from auditgraph.workflows.state import GuardCheck, GuardOutcome

__all__ = ["apply_guard"]


def apply_guard(verdict: Verdict, evidence: EvidenceSet, policy: GuardPolicy) -> GuardOutcome:
    """Check `verdict` against the non-negotiable rules."""
    retrieved = evidence.retrieved_clauses()
    checks = [
        _cites_when_enforcing(verdict),
        _cites_only_retrieved(verdict, retrieved),
        _no_approval_on_gaps(verdict, evidence),
        _no_approval_against_evidence(verdict, evidence),
        _no_approval_above_screen(verdict, evidence),
        _no_instructions_obeyed(evidence),
    ]
    severity = _severity_at_stake(verdict, retrieved)
    checks.append(_confident_enough(verdict, severity, policy))
    escalated = verdict.decision == "escalate"
    checks.append(
        GuardCheck(
            rule="decider_escalated",
            passed=not escalated,
            detail=(", ".join(verdict.escalation_reasons) or "the decider asked for a human")
            if escalated
            else "",
        )
    )
    reasons: list[str] = []
    for check in checks:
        if check.passed:
            continue
        if check.rule == "decider_escalated":
            reasons += verdict.escalation_reasons or ["decider_escalated"]
        else:
            reasons.append(check.rule)
    return GuardOutcome(
        action="escalate" if reasons else "finalize",
        reasons=list(dict.fromkeys(reasons)),
        severity=severity,
        checks=checks,
    )


def _cites_when_enforcing(verdict: Verdict) -> GuardCheck:
    ok = verdict.decision not in ("reject", "restrict") or bool(verdict.clause_ids)
    return GuardCheck(
        rule="uncited_decision",
        passed=ok,
        detail="" if ok else f"{verdict.decision} cites no clause",
    )


def _cites_only_retrieved(verdict: Verdict, retrieved: dict[str, RetrievedClause]) -> GuardCheck:
    unknown = [c for c in verdict.clause_ids if c not in retrieved]
    return GuardCheck(
        rule="citation_not_retrieved",
        passed=not unknown,
        detail=f"cited but not retrieved: {', '.join(unknown)}" if unknown else "",
    )


def _no_approval_on_gaps(verdict: Verdict, evidence: EvidenceSet) -> GuardCheck:
    gaps = [f"{name} unavailable" for name in evidence.failed()]
    seller = evidence.seller_history
    if seller is not None and seller.status == "not_found":
        gaps.append("unknown seller")
    if evidence.image_check is not None:
        gaps += [f"image {i.ref} {i.status}" for i in evidence.image_check.unverifiable]
        gaps += [f"text of image {i.ref} unread" for i in evidence.image_check.unread]
    if evidence.policy_retrieval is None:
        gaps.append("no policy retrieved")
    ok = verdict.decision != "approve" or not gaps
    return GuardCheck(
        rule="approve_on_incomplete_evidence", passed=ok, detail="; ".join(gaps) if not ok else ""
    )


STRONG_TERM = 0.8
"""A screened term at or above this weight is strong evidence on its own."""


def _no_approval_against_evidence(verdict: Verdict, evidence: EvidenceSet) -> GuardCheck:
    """An approval may not stand against strong evidence of a violation: a bank match of
    a listing image (unless the seller is verified for that brand), a strong or
    obfuscated term in the seller's own words (the listing's text or the text read from
    its images), or a price far below a brand's floor. A
    decider that was talked into approving is stopped here even if the injection went
    unnoticed."""
    if verdict.decision != "approve":
        return GuardCheck(rule="approve_contradicts_evidence", passed=True)
    seller = evidence.seller_history
    verified = set(seller.verified_brands) if seller is not None else set()
    against: list[str] = []
    if evidence.image_check is not None:
        against += [
            f"{i.ref} matches {m.label!r}"
            for i in evidence.image_check.images
            for m in i.matches
            if not (m.brand and m.brand in verified)
        ]
    against += [
        f"{f.term!r} in {f.field}"
        for f in evidence.seller_findings()
        if f.area and (f.weight >= STRONG_TERM or f.obfuscated)
    ]
    brands = evidence.brand_check
    if brands is not None and brands.price_anomaly and not set(brands.brands) <= verified:
        against.append(f"price at {brands.price_ratio:.0%} of the brand's floor")
    return GuardCheck(
        rule="approve_contradicts_evidence",
        passed=not against,
        detail="; ".join(against[:5]),
    )


def _no_approval_above_screen(verdict: Verdict, evidence: EvidenceSet) -> GuardCheck:
    """Whoever decides, an approval must be earned: a listing the learned screen does not
    clear (its violation probability at or above its own approval threshold) is not
    approved without a person, however the decider reasoned."""
    screen = evidence.risk_screen
    if verdict.decision != "approve" or screen is None or screen.status != "ok":
        return GuardCheck(rule="approve_above_screen_threshold", passed=True)
    read = read_screen(evidence)
    if read is None:
        return GuardCheck(
            rule="approve_above_screen_threshold", passed=False, detail="the screen gave no threshold"
        )
    top = f", top area {read.top_area}" if read.top_area else ""
    return GuardCheck(
        rule="approve_above_screen_threshold",
        passed=read.clears,
        detail=""
        if read.clears
        else f"violation probability {read.violation:.3f} >= approval threshold {read.approve_below:.3f}{top}",
    )


def _no_instructions_obeyed(evidence: EvidenceSet) -> GuardCheck:
    # Screened text and the text read from the listing's images: a photo may carry them too.
    fields = evidence.injection_fields()
    return GuardCheck(
        rule="injection_attempt",
        passed=not fields,
        detail=f"instructions to the reviewer in {', '.join(fields)}" if fields else "",
    )


def _severity_at_stake(verdict: Verdict, retrieved: dict[str, RetrievedClause]) -> Severity | None:
    """The highest severity among the cited clauses, else among the best-matching
    retrieved clause of each area at stake (not the area's worst clause: a pocket knife
    is not a firearm)."""
    clauses = [retrieved[c] for c in verdict.clause_ids if c in retrieved]
    if not clauses:
        for area in verdict.areas:
            in_area = [c for c in retrieved.values() if c.covers(area)]
            if in_area:
                clauses.append(max(in_area, key=lambda c: c.score))
    return max((c.severity for c in clauses), key=SEVERITY_RANK.__getitem__, default=None)


def _confident_enough(verdict: Verdict, severity: Severity | None, policy: GuardPolicy) -> GuardCheck:
    guarded = severity in policy.guarded_severities and verdict.decision != "escalate"
    ok = not guarded or verdict.confidence >= policy.confidence_bar
    return GuardCheck(
        rule="low_confidence_high_severity",
        passed=ok,
        detail=""
        if ok
        else f"confidence {verdict.confidence:.2f} < {policy.confidence_bar} on a {severity} area",
    )
