"""Evidence tools: they gather evidence over swappable backends and never decide."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from langchain_core.tools import BaseTool
from sqlalchemy import Engine

from auditgraph.tools.brand_check import BrandCheck, BrandChecker, load_brand_registry, make_brand_check_tool
from auditgraph.tools.escalation import EscalationBackend, make_escalation_tool
from auditgraph.tools.evidence import TOOL_NAMES, Evidence, EvidenceStatus, ToolName
from auditgraph.tools.image_check import (
    CASE_MAX_PIXELS,
    ImageCheck,
    ImageChecker,
    LocalImageSource,
    load_hash_bank,
    make_image_check_tool,
)
from auditgraph.tools.image_text import READ_MAX_PIXELS, ImageTextScreener, RapidOcrReader, TextReader
from auditgraph.tools.policy_retrieval import (
    PolicyIndex,
    PolicyLibrary,
    PolicyRetrieval,
    load_policy_pack,
    make_policy_retrieval_tool,
)
from auditgraph.tools.risk_screen import RiskScorer, RiskScreenEvidence, make_risk_screen_tool
from auditgraph.tools.seller_history import (
    SellerBackend,
    SellerHistory,
    SqlSellerBackend,
    load_sellers,
    make_seller_history_tool,
)
from auditgraph.tools.text_screen import TextScreen, TextScreener, load_lexicon, make_text_screen_tool

__all__ = [
    "DEFAULT_TEXT_READER",
    "EVIDENCE_TYPES",
    "TOOL_NAMES",
    "BundledPaths",
    "Evidence",
    "EvidenceStatus",
    "RiskScorer",
    "TextReader",
    "ToolName",
    "Toolset",
    "load_bundled_toolset",
]

EVIDENCE_TYPES: dict[ToolName, type[Evidence]] = {
    "seller_history": SellerHistory,
    "image_check": ImageCheck,
    "policy_retrieval": PolicyRetrieval,
    "text_screen": TextScreen,
    "brand_check": BrandCheck,
    "risk_screen": RiskScreenEvidence,
}
"""Each tool's evidence model; `EVIDENCE_TYPES[name](status="unavailable", error=...)` is valid."""


DEFAULT_TEXT_READER: TextReader = RapidOcrReader()
"""The OCR engine the bundled toolset reads image text with unless told otherwise."""


@dataclass(frozen=True)
class BundledPaths:
    """Where the bundled demo data lives under a data folder."""

    root: Path

    @property
    def policy_dir(self) -> Path:
        """The policy packs: `pack.yaml` in force, earlier versions as `pack-<version>.yaml`."""
        return self.root / "policy"

    @property
    def policy_pack(self) -> Path:
        """The policy pack YAML in force."""
        return self.policy_dir / "pack.yaml"

    @property
    def sellers(self) -> Path:
        """The seller records JSON."""
        return self.root / "sellers.json"

    @property
    def images(self) -> Path:
        """The image root: case image references resolve against it."""
        return self.root / "images"

    @property
    def hash_bank(self) -> Path:
        """The PDQ hash bank computed from the bundled images."""
        return self.root / "images" / "hashbank.json"

    @property
    def lexicon(self) -> Path:
        """The text screen's vocabulary."""
        return self.root / "screening" / "lexicon.yaml"

    @property
    def brands(self) -> Path:
        """The protected brand registry."""
        return self.root / "brands.yaml"

    @property
    def fx_rates(self) -> Path:
        """Reference exchange rates for price checks."""
        return self.root / "fx_rates.yaml"


@dataclass(frozen=True)
class Toolset:
    """The backends behind every tool, built once and shared by runs."""

    sellers: SellerBackend
    images: ImageChecker
    policy: PolicyIndex
    """Retrieval over the pack in force."""
    screener: TextScreener
    brands: BrandChecker
    escalations: EscalationBackend
    packs: PolicyLibrary
    """Every bundled version of the pack, for runs recorded under an earlier one."""
    screen: RiskScorer | None = None
    """The learned risk screen; None leaves the `risk_screen` tool out."""

    def evidence_tools(self) -> dict[ToolName, BaseTool]:
        """The evidence-gathering tools by name (what a planner may call)."""
        tools: dict[ToolName, BaseTool] = {
            "seller_history": make_seller_history_tool(self.sellers),
            "image_check": make_image_check_tool(self.images),
            "policy_retrieval": make_policy_retrieval_tool(self.policy),
            "text_screen": make_text_screen_tool(self.screener),
            "brand_check": make_brand_check_tool(self.brands),
        }
        if self.screen is not None:
            tools["risk_screen"] = make_risk_screen_tool(self.screen)
        return tools

    def escalation_tool(self) -> BaseTool:
        """The tool that opens an escalation."""
        return make_escalation_tool(self.escalations)


def load_bundled_toolset(
    data_dir: Path,
    *,
    engine: Engine,
    escalations: EscalationBackend,
    extra_image_roots: tuple[Path, ...] = (),
    screen: RiskScorer | None = None,
    text_reader: TextReader | None = DEFAULT_TEXT_READER,
    text_max_pixels: int = READ_MAX_PIXELS,
    image_budget_pixels: int = CASE_MAX_PIXELS,
) -> Toolset:
    """Build every backend from the bundled data under `data_dir`.

    Seller records are loaded into the `seller` table of `engine` the first time. The
    risk screen is a trained model the caller loads (`screen`); without it the
    `risk_screen` tool is not offered. The image check reads the text in listing images
    with `text_reader` (RapidOCR by default, loaded on first use; None reads none) and
    screens it with the listing text's screener.
    """
    paths = BundledPaths(data_dir)
    sellers = SqlSellerBackend(engine)
    sellers.seed(load_sellers(paths.sellers))
    source = LocalImageSource(paths.images, extra_roots=extra_image_roots)
    packs = PolicyLibrary(paths.policy_dir, load=load_policy_pack)
    screener = TextScreener(load_lexicon(paths.lexicon))
    ocr = (
        ImageTextScreener(text_reader, screener, max_pixels=text_max_pixels)
        if text_reader is not None
        else None
    )
    return Toolset(
        sellers=sellers,
        images=ImageChecker(
            source, load_hash_bank(paths.hash_bank), ocr=ocr, case_max_pixels=image_budget_pixels
        ),
        policy=PolicyIndex(packs.current),
        screener=screener,
        brands=BrandChecker(load_brand_registry(paths.brands, paths.fx_rates)),
        escalations=escalations,
        packs=packs,
        screen=screen,
    )
