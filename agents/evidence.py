"""The evidence a decider reads: every tool's output for one case, typed."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from auditgraph.tools.brand_check import BrandCheck
from auditgraph.tools.evidence import Evidence, ToolName
from auditgraph.tools.image_check import ImageCheck
from auditgraph.tools.policy_retrieval import PolicyRetrieval, RetrievedClause
from auditgraph.tools.risk_screen import RiskScreenEvidence
from auditgraph.tools.seller_history import SellerHistory
from auditgraph.tools.text_screen import TextFinding, TextScreen

__all__ = ["EvidenceSet"]


class EvidenceSet(BaseModel):
    """Each tool's evidence, or None where the tool was not called."""

    model_config = ConfigDict(frozen=True)

    seller_history: SellerHistory | None = None
    image_check: ImageCheck | None = None
    policy_retrieval: PolicyRetrieval | None = None
    text_screen: TextScreen | None = None
    brand_check: BrandCheck | None = None
    risk_screen: RiskScreenEvidence | None = None

    @classmethod
    def from_mapping(cls, evidence: Mapping[ToolName, Evidence]) -> EvidenceSet:
        """Build from the graph state's `{tool name: evidence}` mapping."""
        # The evidence objects are already validated models; re-validating their nested
        # clauses and findings on every read would cost more than the decision itself.
        known = {name: ev for name, ev in evidence.items() if name in cls.model_fields}
        return cls.model_construct(**known)

    def gathered(self) -> dict[ToolName, Evidence]:
        """The evidence present, by tool name."""
        return {name: ev for name in type(self).model_fields if (ev := getattr(self, name)) is not None}  # type: ignore[misc]

    def failed(self) -> list[ToolName]:
        """Tools that were called but could not answer."""
        return [name for name, ev in self.gathered().items() if ev.status == "unavailable"]

    def seller_findings(self) -> list[TextFinding]:
        """What the text screen found in the seller's own words: the listing's fields
        (`listing.*`) and the text read from its images (`image:*`; a seller's photo is the
        seller speaking). An appeal's or a rights holder's text is not among them."""
        found: list[TextFinding] = []
        if self.text_screen is not None and self.text_screen.status == "ok":
            found += [f for f in self.text_screen.findings if f.field.startswith("listing.")]
        if self.image_check is not None:
            found += self.image_check.text_findings
        return found

    def injection_fields(self) -> list[str]:
        """Every field in which someone tried to instruct the reviewer: any screened text
        (listing, appeal, report) and the text read from the listing's images."""
        findings = list(self.text_screen.findings) if self.text_screen is not None else []
        if self.image_check is not None:
            findings += self.image_check.text_findings
        return sorted({f.field for f in findings if f.kind == "injection_attempt"})

    def flagged_areas(self) -> list[str]:
        """Policy areas the evidence itself points at: screened terms in the seller's own
        words (listing text and image text), image bank matches, and an implausible price
        (counterfeit)."""
        areas: set[str] = {f.area for f in self.seller_findings() if f.area}
        if self.image_check is not None:
            areas |= {m.area for i in self.image_check.images for m in i.matches}
        if self.brand_check is not None and self.brand_check.price_anomaly:
            areas.add("counterfeit_ip")
        return sorted(areas)

    def retrieved_clauses(self) -> dict[str, RetrievedClause]:
        """Clauses policy retrieval returned, by id: the only ones a verdict may cite."""
        if self.policy_retrieval is None or self.policy_retrieval.status != "ok":
            return {}
        return {c.clause_id: c for c in self.policy_retrieval.clauses}
