"""The statement of reasons a seller receives when a listing is removed or restricted.

It follows what platform regulation asks of such statements (for example Article 17
of the EU Digital Services Act): what was decided, on which facts, on which ground,
whether automated means were used, and how to seek redress.
"""

from __future__ import annotations

from auditgraph.tools.policy_retrieval import RetrievedClause

__all__ = ["statement_of_reasons"]

_EFFECT = {
    "reject": "Your listing has been removed from the marketplace.",
    "restrict": "Your listing remains available with restrictions until it is brought into line with policy.",
}


def statement_of_reasons(
    *,
    decision: str,
    listing_id: str,
    clauses: list[RetrievedClause],
    facts: str,
    decided_by: str,
    policy_version: str,
) -> str | None:
    """The statement for a reject or restrict; None for an approval."""
    if decision not in _EFFECT:
        return None
    grounds = "\n".join(f"  - {c.clause_id} {c.title} (policy {c.version}): {c.text}" for c in clauses)
    automation = (
        "This decision was taken by automated means, without human review."
        if decided_by == "agent"
        else "This decision was taken by a human reviewer after an automated assessment."
    )
    return (
        f"Decision on listing {listing_id}: {decision}.\n"
        f"{_EFFECT[decision]}\n"
        f"Grounds (policy pack {policy_version}):\n{grounds or '  - (see the facts below)'}\n"
        f"Facts and circumstances: {facts}\n"
        f"{automation}\n"
        "Redress: you may appeal this decision within 6 months through the seller centre; "
        "an appeal is reviewed by a person who was not involved in this decision."
    )
