"""The bundled data under data/ that every eval case is built from and checked against."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from auditgraph.evals.datasets.sources import DATA, vocabulary

Json = dict[str, Any]

NEW_ACCOUNT_SINCE: Final = "2026-09-01"
"""Sellers who joined on or after this date are tagged new_seller."""
ACTION_RANK: Final = {"restrict": 1, "reject": 2}


@dataclass(frozen=True)
class Clause:
    """The parts of a policy clause the labels depend on."""

    id: str
    area: str
    severity: str
    action: str


class Reference:
    """The policy pack, brands, fx rates, recalls, sellers and image manifest."""

    def __init__(self, data_dir: Path) -> None:
        def load(name: str) -> Any:
            text = (data_dir / name).read_text("utf-8")
            return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)

        pack = load("policy/pack.yaml")
        self.pack_version: str = pack["version"]
        self.clauses = {
            c["id"]: Clause(c["id"], c["area"], c["severity"], c["action"]) for c in pack["clauses"]
        }
        self.brands: dict[str, Json] = {b["name"]: b for b in load("brands.yaml")["brands"]}
        self.fx: dict[str, float] = load("fx_rates.yaml")["usd_per_unit"]
        self.recalls: list[Json] = load("recalls.yaml")["recalls"]
        self.sellers: dict[str, Json] = {s["seller_id"]: s for s in load("sellers.json")}
        manifest = load("images/manifest.json")
        self.bank: dict[str, Json] = {b["file"]: b for b in manifest["bank"]}
        self.listing_images: dict[str, Json] = {i["file"]: i for i in manifest["listings"]}
        self.image_dir = data_dir / "images"

    def bank_entry(self, image: str) -> Json | None:
        """The bank entry a listing image is a near-duplicate of, if any."""
        entry = self.listing_images.get(image)
        if entry is None or entry["derived_from"] is None:
            return None
        return self.bank[entry["derived_from"]]

    def severity(self, clause_ids: Iterable[str]) -> str:
        """The highest severity among clauses ("none" for no clause)."""
        order = vocabulary().severities
        return max((self.clauses[c].severity for c in clause_ids), key=order.index, default="none")

    def action(self, clause_ids: Iterable[str]) -> str | None:
        """The strongest action among clauses: reject over restrict."""
        actions = [self.clauses[c].action for c in clause_ids]
        return max(actions, key=ACTION_RANK.__getitem__) if actions else None

    def pool(self, predicate: Callable[[Json], bool], *, fixed: bool = False) -> list[str]:
        """Seller ids matching `predicate`; the fixed demo sellers (S00001-S00010) only if `fixed`."""
        return sorted(
            sid for sid, s in self.sellers.items() if predicate(s) and (fixed or not sid.startswith("S0000"))
        )

    def resellers_of(self, brand: str) -> list[str]:
        """Sellers verified as authorized resellers of `brand`."""
        return self.pool(lambda s: brand in s["verified_brands"], fixed=True)

    def seller_pools(self) -> dict[str, list[str]]:
        """The named seller pools recipes draw from ($clean_sellers and so on)."""

        def upheld(s: Json, area: str) -> bool:
            return any(v["area"] == area and v["outcome"] == "upheld" for v in s["prior_violations"])

        def clean(s: Json) -> bool:
            plain = not s["prior_violations"] and not s["verified_brands"] and s["strikes"] == 0
            return plain and s["kyc_verified"] and s["joined_on"] < "2026-01-01"

        def minor(s: Json) -> bool:
            few = 1 <= len(s["prior_violations"]) <= 2 and s["strikes"] <= 1
            return few and s["joined_on"] < NEW_ACCOUNT_SINCE and not s["verified_brands"]

        return {
            "clean_sellers": self.pool(clean),
            "minor_sellers": self.pool(minor),
            "new_sellers": self.pool(lambda s: s["joined_on"] >= NEW_ACCOUNT_SINCE),
            "repeat_sellers": self.pool(lambda s: s["strikes"] >= 2),
            "repeat_counterfeiters": self.pool(lambda s: s["strikes"] >= 2 and upheld(s, "counterfeit_ip")),
            "repeat_off_platform": self.pool(lambda s: s["strikes"] >= 1 and upheld(s, "off_platform")),
        }


REF: Final = Reference(DATA)
