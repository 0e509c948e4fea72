"""Brand check: which protected brands a listing names, and whether its price is plausible.

A genuine luxury item practically never sells far below its market floor, so a price
under a fraction of the floor is a counterfeit indicator. The brand registry
(data/brands.yaml) also names each brand's rights holder. Evidence only.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Literal

import yaml
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditgraph.tools.evidence import Evidence
from auditgraph.tools.normalize import deobfuscate
from auditgraph.tools.yaml_data import load_yaml

__all__ = [
    "BrandCheck",
    "BrandCheckInput",
    "BrandRegistry",
    "BrandRegistryError",
    "ProtectedBrand",
    "load_brand_registry",
    "make_brand_check_tool",
]

PRICE_ANOMALY_RATIO = 0.35
"""Below this share of a brand's market floor, the price is an anomaly."""


class ProtectedBrand(BaseModel):
    """A brand whose rights holder protects it on the marketplace."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    category: str
    rights_holder: str
    min_market_price: float = Field(gt=0)
    """USD; a genuine new item practically never sells below this."""


class BrandRegistry(BaseModel):
    """Protected brands and the reference exchange rates used to compare prices."""

    model_config = ConfigDict(frozen=True)

    brands: list[ProtectedBrand]
    usd_per_unit: dict[str, float]

    def find(self, name: str) -> ProtectedBrand | None:
        """The brand with this name, ignoring case and accents."""
        key = deobfuscate(name)
        return next((b for b in self.brands if deobfuscate(b.name) == key), None)


class BrandRegistryError(ValueError):
    """A brand registry file that cannot be used."""


def load_brand_registry(brands_path: Path, fx_path: Path) -> BrandRegistry:
    """Read data/brands.yaml and data/fx_rates.yaml.

    Raises:
        BrandRegistryError: a file is missing, not YAML, or breaks the schema.
    """
    try:
        brands = load_yaml(brands_path)["brands"]
        rates = load_yaml(fx_path)["usd_per_unit"]
        return BrandRegistry.model_validate({"brands": brands, "usd_per_unit": rates})
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as exc:
        raise BrandRegistryError(f"cannot load brand registry: {exc}") from exc


class BrandCheckInput(BaseModel):
    """Arguments of the brand-check tool."""

    text: str = Field(description="The listing's title and description.")
    brand: str | None = Field(default=None, description="The brand the listing names, if any.")
    price: Decimal = Field(ge=0, description="The asking price.")
    currency: str = Field(description="ISO 4217 code of the price.")


class BrandCheck(Evidence):
    """What the brand check found."""

    tool: Literal["brand_check"] = "brand_check"
    brands: list[str] = Field(default_factory=list)
    """Protected brands named in the brand field or the text."""
    rights_holders: list[str] = Field(default_factory=list)
    price_usd: float | None = None
    market_floor_usd: float | None = None
    price_ratio: float | None = None
    """Asking price over the highest market floor among the brands named."""
    price_anomaly: bool = False
    note: str | None = None


class BrandChecker:
    """Finds protected brand names in text with one compiled pattern."""

    def __init__(self, registry: BrandRegistry) -> None:
        self.registry = registry
        names = sorted((deobfuscate(b.name) for b in registry.brands), key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![a-z0-9])(?:" + "|".join(re.escape(n) for n in names) + r")(?![a-z0-9])"
        )

    def check(self, args: BrandCheckInput) -> BrandCheck:
        """Name the protected brands and compare the price with their market floor."""
        found = {m.group(0) for m in self._pattern.finditer(deobfuscate(args.text))}
        brands = [b for b in self.registry.brands if deobfuscate(b.name) in found]
        declared = self.registry.find(args.brand) if args.brand else None
        if declared is not None and declared not in brands:
            brands.insert(0, declared)
        if not brands:
            return BrandCheck()
        rate = self.registry.usd_per_unit.get(args.currency.upper())
        names = [b.name for b in brands]
        holders = sorted({b.rights_holder for b in brands})
        if rate is None:
            return BrandCheck(
                brands=names,
                rights_holders=holders,
                note=f"no reference rate for {args.currency!r}",
            )
        price_usd = float(args.price) * rate
        floor = max(b.min_market_price for b in brands)
        ratio = price_usd / floor
        return BrandCheck(
            brands=names,
            rights_holders=holders,
            price_usd=round(price_usd, 2),
            market_floor_usd=floor,
            price_ratio=round(ratio, 3),
            price_anomaly=ratio < PRICE_ANOMALY_RATIO,
        )


def make_brand_check_tool(checker: BrandChecker) -> BaseTool:
    """The brand-check tool as a LangChain tool over `checker`."""

    def brand_check(text: str, price: Decimal, currency: str, brand: str | None = None) -> BrandCheck:
        return checker.check(BrandCheckInput(text=text, brand=brand, price=price, currency=currency))

    return StructuredTool.from_function(
        brand_check,
        name="brand_check",
        description=(
            "Find protected brands named in the listing and compare its price with the "
            "brands' market floor; a price far below the floor is a counterfeit indicator."
        ),
        args_schema=BrandCheckInput,
    )
