"""The offline rules planner: every evidence tool offered, with arguments taken from the case."""

from __future__ import annotations

from typing import Literal

from auditgraph.agents.planner.schema import Plan, ToolCall
from auditgraph.tools.case import AnyCase, IpReport, ListingReview, PolicyArea, SellerAppeal, case_text
from auditgraph.tools.risk_screen import RiskScorer, ScreenUnavailable, listing_text

__all__ = ["CATEGORY_AREAS", "IMAGE_TOPICS", "SCREEN_AREA_FLOOR", "RulesPlanner"]

SCREEN_AREA_FLOOR = 0.1
"""A policy area the risk screen gives at least this probability is retrieved too."""
SCREEN_AREAS = 3

CATEGORY_AREAS: dict[str, list[PolicyArea]] = {
    "watches": ["counterfeit_ip", "abusive_pricing"],
    "handbags": ["counterfeit_ip", "abusive_pricing"],
    "sneakers": ["counterfeit_ip", "abusive_pricing"],
    "fragrance": ["counterfeit_ip"],
    "jewelry": ["counterfeit_ip", "wildlife"],
    "apparel": ["counterfeit_ip"],
    "electronics": ["counterfeit_ip", "hazardous_goods"],
    "knives": ["weapons"],
    "kitchenware": ["weapons"],
    "outdoor": ["weapons"],
    "supplements": ["regulated_health", "misleading_claims"],
    "cosmetics": ["regulated_health", "misleading_claims"],
    "health": ["regulated_health", "drugs"],
    "toys": ["recalled_products", "hazardous_goods"],
    "baby": ["recalled_products"],
    "antiques": ["wildlife"],
    "art": ["counterfeit_ip", "wildlife"],
    "books": ["counterfeit_ip"],
    "media": ["counterfeit_ip", "adult"],
}
SIGNAL_AREAS: dict[str, PolicyArea] = {
    "counterfeit": "counterfeit_ip",
    "replica": "counterfeit_ip",
    "trademark": "counterfeit_ip",
    "weapon": "weapons",
    "drug": "drugs",
    "wildlife": "wildlife",
    "ivory": "wildlife",
    "hazard": "hazardous_goods",
    "recall": "recalled_products",
    "claim": "misleading_claims",
    "medical": "regulated_health",
    "contact": "off_platform",
    "off-platform": "off_platform",
    "price": "abusive_pricing",
    "adult": "adult",
}

IMAGE_TOPICS = ["contact details in listing images"]
"""What a listing's photos may show that its text does not: the image check reads their
text, so retrieval puts the clause on it in front of the decider (topics add their best
clause at score 0, leaving the ranking by the listing's words as it was)."""


class RulesPlanner:
    """Plans every evidence tool for every case, deterministically.

    With `risk_screen`, the learned risk screen is offered too and runs on every case
    whose listing has text. Given the `screen` itself, the planner reads it first so that
    policy retrieval also covers the areas the screen finds likely: a listing in slang or
    another language may share no word with the clause it violates, and nothing may be
    cited that was not retrieved. (The screen keeps its answer, so the tool's call costs
    nothing more.)
    """

    kind: Literal["rules"] = "rules"
    version = "rules-planner/2"

    def __init__(self, *, risk_screen: bool = False, screen: RiskScorer | None = None) -> None:
        self.risk_screen = risk_screen or screen is not None
        self.screen = screen

    def plan(self, case: AnyCase) -> Plan:
        """The tools to call for `case` and their arguments."""
        listing = case.listing
        texts = case_text(case)
        query = " ".join([*texts.values(), listing.brand or ""])
        clause_ids: list[str] = []
        if isinstance(case, SellerAppeal):
            clause_ids = list(case.original_decision.clause_ids)
        text = f"{listing.title}\n{listing.description}"
        screened = self._screen_areas(case)
        calls = [
            ToolCall(
                tool="seller_history",
                args={"seller_id": listing.seller_id, "as_of": case.received_at.date().isoformat()},
            ),
            ToolCall(
                tool="policy_retrieval",
                args={
                    "query": query,
                    "category": listing.category,
                    "areas": list(dict.fromkeys([*_areas_hinted(case), *screened])),
                    "clause_ids": clause_ids,
                    "topics": list(IMAGE_TOPICS) if listing.images else [],
                },
            ),
            ToolCall(tool="text_screen", args={"texts": texts}),
            ToolCall(
                tool="brand_check",
                args={
                    "text": text,
                    "brand": _claimed_brand(case),
                    "price": str(listing.price),
                    "currency": listing.currency,
                },
            ),
            ToolCall(
                tool="image_check",
                args={"images": list(listing.images), "seller_id": listing.seller_id},
            ),
        ]
        if self.risk_screen and (listing.title.strip() or listing.description.strip()):
            calls.append(
                ToolCall(
                    tool="risk_screen", args={"title": listing.title, "description": listing.description}
                )
            )
        why = "The rules agent gathers all evidence for every case."
        if screened:
            why += f" Policy retrieval also covers the areas the risk screen finds likely: {', '.join(screened)}."
        return Plan(calls=calls, rationale=why)

    def _screen_areas(self, case: AnyCase) -> list[PolicyArea]:
        """The areas the risk screen finds likely for the listing (none when it cannot answer)."""
        listing = case.listing
        if self.screen is None or not (listing.title.strip() or listing.description.strip()):
            return []
        try:
            read = self.screen.assess(listing_text(listing.title, listing.description))
        except ScreenUnavailable:
            return []  # the risk_screen tool reports it, and nothing approves without it
        likely = [a.area for a in read.areas if a.probability >= SCREEN_AREA_FLOOR][:SCREEN_AREAS]
        return likely or [a.area for a in read.areas[:1]]


def _claimed_brand(case: AnyCase) -> str | None:
    if isinstance(case, IpReport):
        return case.rights_holder.brand
    return case.listing.brand


def _areas_hinted(case: AnyCase) -> list[PolicyArea]:
    areas: list[PolicyArea] = list(CATEGORY_AREAS.get(case.listing.category.lower(), []))
    if isinstance(case, IpReport):
        areas.insert(0, "counterfeit_ip")
    if isinstance(case, ListingReview):
        reason = case.signal.reason.lower()
        areas += [area for word, area in SIGNAL_AREAS.items() if word in reason]
    return list(dict.fromkeys(areas))
