"""Build the bundled demo data: data/sellers.json and the image sets under data/images/.

Deterministic and offline: every random choice comes from random.Random(SEED) (per-image
generators are seeded from SEED and the image name), and PNGs are written by Pillow with
fixed parameters, so two runs write byte-identical files.

    .venv/bin/python data/generate.py            # write everything, print a summary
    .venv/bin/python data/generate.py --check    # also validate the data and measure PDQ distances
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

SEED = 20261125
DATA = Path(__file__).resolve().parent
SIZE = 256
TODAY = date(2026, 11, 20)
HISTORY_START = date(2023, 1, 1)
HISTORY_END = date(2026, 11, 15)
HISTORY_PACK = "policy/pack-2026.11.1.yaml"
"""The pack in force when the seller histories were recorded: they cite its clauses, and
drawing them from it keeps sellers.json the same whatever later packs add."""
NEAR_DUP_MAX = 31
DISTINCT_MIN = 80

REGIONS = ["US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "JP", "KR", "BR", "MX", "CA", "AU", "IN", "SG"]
REGION_WEIGHTS = [26, 9, 8, 6, 5, 5, 4, 4, 5, 4, 5, 4, 5, 4, 4, 2]

Color = tuple[int, int, int]
Draw = ImageDraw.ImageDraw


# --------------------------------------------------------------------------- sellers

FIXED_SELLERS: list[dict] = [
    {
        "seller_id": "S00001",
        "display_name": "Lumen Timepieces",
        "region": "US",
        "joined_on": "2019-03-14",
        "kyc_verified": True,
        "prior_violations": [],
        "strikes": 0,
        "dispute_rate": 0.004,
        "refund_rate": 0.011,
        "listing_volume": 1260,
        "verified_brands": ["Orvelle Geneve"],
    },
    {
        "seller_id": "S00002",
        "display_name": "quickdeals_8841",
        "region": "US",
        "joined_on": "2026-11-02",
        "kyc_verified": False,
        "prior_violations": [],
        "strikes": 0,
        "dispute_rate": 0.0,
        "refund_rate": 0.0,
        "listing_volume": 14,
        "verified_brands": [],
    },
    {
        "seller_id": "S00003",
        "display_name": "Northside Outlet",
        "region": "GB",
        "joined_on": "2021-06-09",
        "kyc_verified": True,
        "prior_violations": [
            {"area": "counterfeit_ip", "clause_id": "CIP-1", "date": "2024-02-19", "outcome": "upheld"},
            {"area": "counterfeit_ip", "clause_id": "CIP-2", "date": "2024-09-04", "outcome": "upheld"},
            {"area": "counterfeit_ip", "clause_id": "CIP-1", "date": "2025-05-27", "outcome": "upheld"},
            {"area": "counterfeit_ip", "clause_id": "CIP-6", "date": "2026-03-11", "outcome": "upheld"},
        ],
        "strikes": 3,
        "dispute_rate": 0.19,
        "refund_rate": 0.142,
        "listing_volume": 870,
        "verified_brands": [],
    },
    {
        "seller_id": "S00004",
        "display_name": "Harbor Kitchen Supply",
        "region": "US",
        "joined_on": "2018-10-22",
        "kyc_verified": True,
        "prior_violations": [],
        "strikes": 0,
        "dispute_rate": 0.006,
        "refund_rate": 0.018,
        "listing_volume": 2140,
        "verified_brands": [],
    },
    {
        "seller_id": "S00005",
        "display_name": "GreenLeaf Wellness",
        "region": "CA",
        "joined_on": "2022-02-17",
        "kyc_verified": True,
        "prior_violations": [
            {"area": "regulated_health", "clause_id": "RHL-1", "date": "2025-09-03", "outcome": "warning"},
        ],
        "strikes": 0,
        "dispute_rate": 0.011,
        "refund_rate": 0.027,
        "listing_volume": 415,
        "verified_brands": [],
    },
    {
        "seller_id": "S00006",
        "display_name": "Vintage Finds Co",
        "region": "US",
        "joined_on": "2017-05-30",
        "kyc_verified": True,
        "prior_violations": [],
        "strikes": 0,
        "dispute_rate": 0.009,
        "refund_rate": 0.021,
        "listing_volume": 3380,
        "verified_brands": [],
    },
    {
        "seller_id": "S00007",
        "display_name": "TechBarn Refurb",
        "region": "US",
        "joined_on": "2020-01-08",
        "kyc_verified": True,
        "prior_violations": [],
        "strikes": 0,
        "dispute_rate": 0.013,
        "refund_rate": 0.034,
        "listing_volume": 1975,
        "verified_brands": [],
    },
    {
        "seller_id": "S00008",
        "display_name": "Lucky Star Toys",
        "region": "AU",
        "joined_on": "2021-11-15",
        "kyc_verified": True,
        "prior_violations": [
            {"area": "recalled_products", "clause_id": "RCL-1", "date": "2025-04-11", "outcome": "upheld"},
        ],
        "strikes": 1,
        "dispute_rate": 0.015,
        "refund_rate": 0.029,
        "listing_volume": 620,
        "verified_brands": [],
    },
    {
        "seller_id": "S00009",
        "display_name": "Atelier Noor",
        "region": "FR",
        "joined_on": "2020-09-03",
        "kyc_verified": True,
        "prior_violations": [],
        "strikes": 0,
        "dispute_rate": 0.005,
        "refund_rate": 0.014,
        "listing_volume": 540,
        "verified_brands": ["Maison Veyrac"],
    },
    {
        "seller_id": "S00010",
        "display_name": "fastship_global",
        "region": "SG",
        "joined_on": "2023-04-26",
        "kyc_verified": True,
        "prior_violations": [
            {"area": "off_platform", "clause_id": "OFP-1", "date": "2025-01-14", "outcome": "upheld"},
            {"area": "off_platform", "clause_id": "OFP-2", "date": "2026-06-22", "outcome": "upheld"},
        ],
        "strikes": 1,
        "dispute_rate": 0.047,
        "refund_rate": 0.061,
        "listing_volume": 2310,
        "verified_brands": [],
    },
]

PERMISSIVE_CLAUSES = {"CIP-5", "WPN-5", "RCL-5"}
PROFILE_COUNTS = {"clean": 138, "new": 34, "minor": 35, "repeat": 16, "authorized": 7}

SHOP_FIRST = [
    "Maple",
    "Cedar",
    "Copper",
    "Willow",
    "Summit",
    "Riverside",
    "Oakridge",
    "Bluebird",
    "Granite",
    "Juniper",
    "Meadow",
    "Lantern",
    "Ember",
    "Atlas",
    "Pioneer",
    "Birch",
    "Falcon",
    "Ivy Lane",
    "Kestrel",
    "Linden",
    "Marigold",
    "Orchard",
    "Pebble",
    "Quarry",
    "Rowan",
    "Saffron",
    "Tidewater",
    "Upland",
    "Wren",
    "Yarrow",
    "Alder",
    "Beacon",
    "Cobalt",
    "Driftwood",
    "Fernhill",
    "Gable",
    "Hollow Creek",
    "Indigo",
    "Jasper",
    "Kiln",
    "Larch",
    "Mosaic",
    "Northgate",
    "Oldfield",
    "Parkside",
    "Redwood",
    "Silverline",
    "Thistle",
    "Brightwater",
    "Stonebridge",
    "Westbrook",
    "Foxglove",
    "Heron",
    "Millstone",
    "Sundial",
    "Twin Pines",
    "Harvest Moon",
]
SHOP_LAST = [
    "Goods",
    "Supply Co",
    "Trading",
    "Outlet",
    "Emporium",
    "Market",
    "Studio",
    "Collective",
    "House",
    "Depot",
    "Traders",
    "Boutique",
    "Workshop",
    "Provisions",
    "Finds",
    "Essentials",
    "Store",
    "& Co",
    "Home",
    "Gear",
    "Electronics",
    "Apparel",
]
HANDLE_A = [
    "quick",
    "best",
    "top",
    "mega",
    "daily",
    "smart",
    "happy",
    "prime",
    "super",
    "fresh",
    "lucky",
    "urban",
    "global",
    "easy",
    "star",
    "value",
    "deal",
    "flash",
    "bright",
    "cozy",
]
HANDLE_B = [
    "deals",
    "shop",
    "finds",
    "store",
    "buys",
    "market",
    "outlet",
    "goods",
    "trade",
    "picks",
    "bargains",
    "sales",
    "mart",
    "hub",
    "stock",
    "direct",
]
LOCAL_NAMES = {
    "DE": [
        "Lindner Versand",
        "Falkenberg Handel",
        "Kessler Technik",
        "Haus Weidmann",
        "Brandt & Sohn Warenhaus",
    ],
    "FR": ["Maison Clairval", "Boutique Fontenay", "Atelier Delorme", "Comptoir Marchand"],
    "ES": ["Tienda Solera", "Almacenes Vidal", "Casa Olmedo", "Bazar Costa Azahar"],
    "IT": ["Bottega Ferri", "Emporio Valdana", "Casa Moretti Store", "Laboratorio Riva"],
    "NL": ["Van Dijk Handel", "De Groene Winkel", "Huis Verbeek", "Molenaar Goederen"],
    "PL": ["Sklep Wislany", "Handel Nowicki", "Dom Towarowy Brzoza", "Pracownia Lipa"],
    "JP": ["Hinode Select", "Kumo Goods", "Asagao Zakka", "Tsubame Trading"],
    "KR": ["Hanbit Mall", "Dalbit Store", "Sora Select", "Namu Living"],
    "BR": ["Loja Ipe", "Casa Jatoba", "Emporio Serra Azul", "Armazem Litoral"],
    "MX": ["Tienda Cardenal", "Bazar Jacaranda", "Casa Nopal", "Mercado Agave"],
    "IN": ["Kaveri Traders", "Nilgiri Bazaar", "Shree Ganga Stores", "Lotus Lane Emporium"],
}


def _iso(d: date) -> str:
    return d.isoformat()


def _rand_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def build_sellers(rng: random.Random, clauses: list[dict], brands: list[dict]) -> list[dict]:
    """The fixed example sellers followed by the generated population."""
    # Histories cite only clauses a listing can breach and that leave the account open:
    # no critical clauses and none of the clauses that describe what is allowed.
    eligible = [c for c in clauses if c["severity"] != "critical" and c["id"] not in PERMISSIVE_CLAUSES]
    by_area: dict[str, list[dict]] = {}
    for clause in eligible:
        by_area.setdefault(clause["area"], []).append(clause)
    minor_clauses = [c for c in eligible if c["severity"] in ("low", "medium")]
    brand_names = [b["name"] for b in brands]

    profiles = [p for p, n in PROFILE_COUNTS.items() for _ in range(n)]
    rng.shuffle(profiles)
    used_names = {s["display_name"].lower() for s in FIXED_SELLERS}

    def unique(make: Callable[[], str]) -> str:
        while True:
            name = make()
            if name.lower() not in used_names:
                used_names.add(name.lower())
                return name

    def shop_name(region: str) -> str:
        if region in LOCAL_NAMES and rng.random() < 0.45:
            options = [n for n in LOCAL_NAMES[region] if n.lower() not in used_names]
            if options:
                return rng.choice(options)
        return f"{rng.choice(SHOP_FIRST)} {rng.choice(SHOP_LAST)}"

    def handle() -> str:
        sep = rng.choice(["_", "", "."])
        return f"{rng.choice(HANDLE_A)}{rng.choice(HANDLE_B)}{sep}{rng.randint(10, 9999)}"

    def violation(clause: dict, when: date, outcome: str) -> dict:
        return {"area": clause["area"], "clause_id": clause["id"], "date": _iso(when), "outcome": outcome}

    sellers = list(FIXED_SELLERS)
    for index, profile in enumerate(profiles):
        region = rng.choices(REGIONS, REGION_WEIGHTS)[0]
        seller: dict = {"seller_id": f"S{10001 + index}"}
        history: list[dict] = []
        strikes = 0
        verified: list[str] = []
        if profile == "new":
            name = unique(handle) if rng.random() < 0.7 else unique(lambda r=region: shop_name(r))
            joined = _rand_date(rng, TODAY - timedelta(days=59), HISTORY_END)
            kyc = rng.random() < 0.4
            dispute = round(rng.choice([0.0, 0.0, rng.uniform(0.0, 0.06)]), 3)
            refund = round(rng.choice([0.0, rng.uniform(0.0, 0.08)]), 3)
            volume = rng.randint(1, 45)
        else:
            if profile == "repeat" and rng.random() < 0.5:
                name = unique(handle)
            else:
                name = unique(lambda r=region: shop_name(r))
            joined = _rand_date(rng, date(2016, 3, 1), date(2025, 12, 31))
            kyc = rng.random() < {"clean": 0.95, "minor": 0.88, "repeat": 0.7}.get(profile, 1.0)
            if profile == "repeat":
                dispute = round(rng.uniform(0.08, 0.26), 3)
                refund = round(rng.uniform(0.07, 0.22), 3)
                volume = rng.randint(120, 2600)
            elif profile == "minor":
                dispute = round(rng.uniform(0.006, 0.045), 3)
                refund = round(rng.uniform(0.012, 0.07), 3)
                volume = rng.randint(30, 2400)
            else:
                dispute = round(rng.uniform(0.001, 0.03), 3)
                refund = round(rng.uniform(0.005, 0.05), 3)
                volume = rng.randint(200, 4800) if profile == "authorized" else rng.randint(15, 3600)
            window_start = max(joined + timedelta(days=30), HISTORY_START)
            if profile == "minor":
                for _ in range(rng.choice([1, 1, 2])):
                    outcome = rng.choices(["upheld", "warning", "overturned"], [45, 40, 15])[0]
                    history.append(
                        violation(
                            rng.choice(minor_clauses), _rand_date(rng, window_start, HISTORY_END), outcome
                        )
                    )
                strikes = min(1, sum(v["outcome"] == "upheld" for v in history))
            elif profile == "repeat":
                areas = [
                    "counterfeit_ip",
                    "off_platform",
                    "misleading_claims",
                    "regulated_health",
                    "abusive_pricing",
                ]
                focus = rng.choices(areas, [44, 22, 14, 11, 9])[0]
                upheld = rng.randint(3, 6)
                for _ in range(upheld):
                    area = focus if rng.random() < 0.7 else rng.choice(areas[:5])
                    clause = by_area[area][0] if rng.random() < 0.5 else rng.choice(by_area[area])
                    history.append(violation(clause, _rand_date(rng, window_start, HISTORY_END), "upheld"))
                for _ in range(rng.randint(0, 2)):
                    history.append(
                        violation(
                            rng.choice(by_area[focus]),
                            _rand_date(rng, window_start, HISTORY_END),
                            rng.choice(["warning", "overturned"]),
                        )
                    )
                strikes = min(5, max(2, upheld - rng.randint(0, 1)))
            elif profile == "authorized":
                kyc = True
                verified = sorted(rng.sample(brand_names, rng.choice([1, 1, 2])))
        history.sort(key=lambda v: (v["date"], v["clause_id"]))
        seller.update(
            {
                "display_name": name,
                "region": region,
                "joined_on": _iso(joined),
                "kyc_verified": kyc,
                "prior_violations": history,
                "strikes": strikes,
                "dispute_rate": dispute,
                "refund_rate": refund,
                "listing_volume": volume,
                "verified_brands": verified,
            }
        )
        seller["_profile"] = profile
        sellers.append(seller)
    return sorted(sellers, key=lambda s: s["seller_id"])


# --------------------------------------------------------------------------- drawing helpers


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def hsv(h: float, s: float, v: float) -> Color:
    h = h % 1.0
    i = int(h * 6)
    f = h * 6 - i
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i % 6]
    return (round(r * 255), round(g * 255), round(b * 255))


def palette(rng: random.Random, n: int, hue: float | None = None) -> list[Color]:
    """n colours around one hue with clearly different brightness."""
    base = rng.random() if hue is None else hue
    values = [0.18 + 0.8 * (i + rng.random() * 0.6) / n for i in range(n)]
    rng.shuffle(values)
    return [hsv(base + rng.uniform(-0.09, 0.09), rng.uniform(0.25, 0.85), v) for v in values]


def texture(img: Image.Image, rng: random.Random, colors: list[Color], style: str) -> None:
    """Fill the whole canvas with a seeded geometric pattern."""
    d = ImageDraw.Draw(img)
    if style == "stripes":
        big = Image.new("RGB", (SIZE * 2, SIZE * 2), colors[0])
        bd = ImageDraw.Draw(big)
        y = 0
        while y < SIZE * 2:
            h = rng.randint(12, 44)
            bd.rectangle([0, y, SIZE * 2, y + h], fill=rng.choice(colors))
            y += h
        big = big.rotate(rng.uniform(0, 180), resample=Image.Resampling.NEAREST)
        img.paste(big.crop((SIZE // 2, SIZE // 2, SIZE * 3 // 2, SIZE * 3 // 2)), (0, 0))
    elif style == "tiles":
        t = rng.randint(24, 52)
        for y in range(0, SIZE, t):
            for x in range(0, SIZE, t):
                d.rectangle([x, y, x + t, y + t], fill=rng.choice(colors))
    elif style == "rings":
        cx, cy = rng.randint(-60, SIZE + 60), rng.randint(-60, SIZE + 60)
        r = 420
        while r > 0:
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=rng.choice(colors))
            r -= rng.randint(14, 34)
    elif style == "blocks":
        d.rectangle([0, 0, SIZE, SIZE], fill=colors[0])
        for _ in range(rng.randint(14, 22)):
            x, y = rng.randint(-40, SIZE), rng.randint(-40, SIZE)
            d.rectangle([x, y, x + rng.randint(30, 120), y + rng.randint(30, 120)], fill=rng.choice(colors))
    elif style == "blobs":
        d.rectangle([0, 0, SIZE, SIZE], fill=colors[0])
        for _ in range(rng.randint(22, 36)):
            x, y, r = rng.randint(-20, SIZE), rng.randint(-20, SIZE), rng.randint(14, 56)
            d.ellipse([x - r, y - r, x + r, y + r], fill=rng.choice(colors))
    elif style == "wedges":
        cx, cy = rng.randint(40, SIZE - 40), rng.randint(40, SIZE - 40)
        a = rng.uniform(0, 360)
        while a < 720:
            step = rng.uniform(12, 40)
            d.pieslice([cx - 400, cy - 400, cx + 400, cy + 400], a, a + step, fill=rng.choice(colors))
            a += step
            if a > 360 + 360:
                break
    elif style == "waves":
        y0 = -30
        while y0 < SIZE + 30:
            amp, period, phase = rng.uniform(6, 22), rng.uniform(50, 140), rng.uniform(0, 6.3)
            h = rng.randint(16, 38)
            top = [(x, y0 + amp * math.sin(x / period * 6.283 + phase)) for x in range(0, 257, 8)]
            bottom = [(x, y + h) for x, y in reversed(top)]
            d.polygon(top + bottom, fill=rng.choice(colors))
            y0 += h
    else:  # checker on a diagonal
        t = rng.randint(28, 56)
        for y in range(-SIZE, SIZE * 2, t):
            for x in range(-SIZE, SIZE * 2, t):
                if ((x + y) // t) % 2 == 0:
                    d.polygon(
                        [(x, y), (x + t, y + t), (x, y + 2 * t), (x - t, y + t)], fill=rng.choice(colors)
                    )


STYLES = ["stripes", "tiles", "rings", "blocks", "blobs", "wedges", "waves", "diamonds"]


def canvas(
    rng: random.Random, style: str | None = None, hue: float | None = None, n: int = 3
) -> tuple[Image.Image, Draw]:
    img = Image.new("RGB", (SIZE, SIZE), (128, 128, 128))
    texture(img, rng, palette(rng, n, hue), style or rng.choice(STYLES))
    return img, ImageDraw.Draw(img)


def shade(c: Color, k: float) -> Color:
    return tuple(max(0, min(255, round(v * k))) for v in c)  # type: ignore[return-value]


def rot(points: list[tuple[float, float]], angle: float, cx: float, cy: float) -> list[tuple[float, float]]:
    a = math.radians(angle)
    ca, sa = math.cos(a), math.sin(a)
    return [(cx + (x - cx) * ca - (y - cy) * sa, cy + (x - cx) * sa + (y - cy) * ca) for x, y in points]


def text_center(d: Draw, xy: tuple[float, float], s: str, size: int, fill: Color) -> None:
    d.text(xy, s, font=font(size), fill=fill, anchor="mm")


def grain(img: Image.Image, rng: random.Random, n: int = 40) -> None:
    """Small seeded speckles so flat regions still carry texture."""
    d = ImageDraw.Draw(img)
    for _ in range(n):
        x, y, r = rng.randint(0, SIZE), rng.randint(0, SIZE), rng.randint(2, 6)
        c = img.getpixel((min(x, SIZE - 1), min(y, SIZE - 1)))
        d.ellipse([x - r, y - r, x + r, y + r], fill=shade(c, rng.choice([0.8, 1.2])))


# --------------------------------------------------------------------------- bank: logo marks


def logo_orvelle(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "wedges", hue=0.62)
    d.ellipse([38, 48, 218, 228], fill=(18, 28, 64))
    d.ellipse([50, 60, 206, 216], outline=(212, 175, 55), width=10)
    for i in range(5):
        x = 78 + i * 25
        d.polygon([(x, 44), (x + 12, 14), (x + 24, 44)], fill=(212, 175, 55))
    text_center(d, (128, 138), "OG", 78, (236, 204, 96))
    return img


def logo_veyrac(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "diamonds", hue=0.08)
    for y in range(0, SIZE, 64):
        for x in range(0, SIZE, 64):
            ox = 32 if (y // 64) % 2 else 0
            d.polygon(
                [(x + ox, y + 8), (x + ox + 16, y + 24), (x + ox, y + 40), (x + ox - 16, y + 24)],
                fill=(92, 58, 30),
            )
    d.rectangle([44, 150, 212, 232], fill=(60, 36, 20))
    d.rectangle([52, 158, 204, 224], outline=(226, 196, 140), width=4)
    text_center(d, (128, 192), "MV", 56, (238, 214, 160))
    return img


def logo_strideform(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "stripes", hue=0.07)
    d.rectangle([0, 0, 110, SIZE], fill=(22, 22, 22))
    for i in range(3):
        y = 60 + i * 48
        d.polygon([(20, y), (150, y - 34), (236, y + 6), (150, y - 10)], fill=(255, 255, 255))
    text_center(d, (62, 220), "SF", 60, (255, 122, 20))
    return img


def logo_lysandre(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "waves", hue=0.78)
    d.rectangle([150, 0, SIZE, SIZE], fill=(58, 30, 84))
    d.ellipse([168, 70, 246, 210], fill=(208, 176, 232))
    d.rectangle([194, 40, 220, 74], fill=(236, 226, 246))
    d.rectangle([14, 22, 142, 136], fill=(236, 226, 246))
    text_center(d, (78, 70), "LP", 70, (40, 16, 60))
    d.line([(20, 120), (136, 120)], fill=(40, 16, 60), width=6)
    return img


def logo_kovira(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "rings", hue=0.48)
    cx, cy, r = 88, 168, 72
    hexagon = [
        (cx + r * math.cos(math.radians(60 * k)), cy + r * math.sin(math.radians(60 * k))) for k in range(6)
    ]
    d.polygon(hexagon, fill=(10, 14, 18))
    for k, h in enumerate([28, 56, 84, 44, 66, 30]):
        x = 56 + k * 12
        d.rectangle([x, cy - h // 2, x + 7, cy + h // 2], fill=(34, 214, 196))
    d.rectangle([150, 16, 246, 112], fill=(10, 14, 18))
    text_center(d, (198, 64), "KA", 52, (34, 214, 196))
    return img


def logo_serapine(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blobs", hue=0.95)
    cx, cy = 170, 92
    for k in range(12):
        a0, a1 = math.radians(30 * k), math.radians(30 * k + 15)
        d.polygon(
            [
                (cx, cy),
                (cx + 200 * math.cos(a0), cy + 200 * math.sin(a0)),
                (cx + 200 * math.cos(a1), cy + 200 * math.sin(a1)),
            ],
            fill=(246, 214, 226),
        )
    d.polygon([(cx, 20), (cx + 54, cy), (cx, 170), (cx - 54, cy)], fill=(178, 184, 196))
    d.polygon([(cx, 20), (cx + 54, cy), (cx, cy)], fill=(226, 230, 238))
    d.rectangle([0, 170, 120, SIZE], fill=(120, 24, 64))
    text_center(d, (60, 212), "S", 72, (246, 214, 226))
    return img


def logo_tessaro(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "tiles", hue=0.33)
    shield = [(40, 30), (216, 30), (216, 140), (128, 236), (40, 140)]
    d.polygon(shield, fill=(200, 30, 40))
    d.rectangle([40, 30, 128, 90], fill=(20, 70, 40))
    d.rectangle([128, 90, 216, 140], fill=(20, 70, 40))
    d.polygon([(40, 140), (128, 140), (128, 236)], fill=(240, 232, 210))
    d.line([*shield, shield[0]], fill=(30, 30, 30), width=6)
    d.rectangle([98, 54, 158, 70], fill=(255, 240, 200))
    d.rectangle([120, 54, 136, 128], fill=(255, 240, 200))
    return img


def logo_hartmund(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blocks", hue=0.38)
    cx, cy = 150, 110
    for k in range(12):
        pts = [(-9, -94), (9, -94), (9, -64), (-9, -64)]
        d.polygon(rot([(cx + x, cy + y) for x, y in pts], 30 * k, cx, cy), fill=(176, 140, 70))
    d.ellipse([cx - 70, cy - 70, cx + 70, cy + 70], fill=(176, 140, 70))
    d.ellipse([cx - 50, cy - 50, cx + 50, cy + 50], fill=(16, 52, 36))
    d.rectangle([cx - 28, cy - 30, cx - 16, cy + 30], fill=(230, 200, 120))
    d.rectangle([cx + 16, cy - 30, cx + 28, cy + 30], fill=(230, 200, 120))
    d.rectangle([cx - 16, cy - 5, cx + 16, cy + 5], fill=(230, 200, 120))
    d.rectangle([0, 206, SIZE, SIZE], fill=(16, 52, 36))
    return img


# --------------------------------------------------------------------------- bank: other banks


def weapon_switchblade(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blocks")
    handle = [(30, 150), (130, 120), (140, 150), (40, 182)]
    d.polygon(rot(handle, -8, 128, 128), fill=(28, 28, 32))
    blade = [(132, 122), (238, 70), (244, 80), (140, 148)]
    d.polygon(rot(blade, -8, 128, 128), fill=(200, 206, 214))
    d.line(rot([(136, 134), (238, 76)], -8, 128, 128), fill=(120, 126, 136), width=3)
    d.ellipse([70, 136, 88, 154], fill=(190, 30, 30))
    return img


def weapon_brass_knuckles(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "stripes")
    gold = (196, 160, 70)
    for k in range(4):
        x = 36 + k * 48
        d.ellipse([x, 70, x + 44, 114], fill=gold)
        d.ellipse([x + 10, 80, x + 34, 104], fill=(40, 36, 30))
    d.polygon([(40, 116), (220, 116), (196, 190), (64, 190)], fill=gold)
    d.ellipse([90, 150, 166, 206], fill=shade(gold, 0.8))
    return img


def weapon_receiver(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "tiles")
    body = [
        (20, 90),
        (200, 90),
        (236, 110),
        (236, 140),
        (150, 140),
        (130, 196),
        (96, 196),
        (104, 140),
        (20, 140),
    ]
    d.polygon(body, fill=(60, 62, 66))
    d.arc([96, 120, 156, 180], 0, 180, fill=(60, 62, 66), width=8)
    for x in (60, 170, 212):
        d.ellipse([x - 7, 108, x + 7, 122], fill=(190, 190, 180))
    d.rectangle([24, 96, 90, 104], fill=(110, 112, 118))
    return img


def weapon_suppressor(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "rings")
    pts = [(20, 100), (220, 100), (220, 150), (20, 150)]
    d.polygon(rot(pts, 18, 128, 128), fill=(34, 36, 40))
    for k in range(8):
        x = 40 + k * 22
        d.line(rot([(x, 100), (x, 150)], 18, 128, 128), fill=(90, 94, 100), width=3)
    d.polygon(rot([(220, 112), (244, 112), (244, 138), (220, 138)], 18, 128, 128), fill=(150, 150, 140))
    return img


def wildlife_carved_tusk(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "wedges", hue=0.05)
    outer = [(30 + 190 * t, 200 - 150 * math.sin(t * 2.2)) for t in (i / 20 for i in range(21))]
    inner = [(40 + 180 * t, 224 - 120 * math.sin(t * 2.2)) for t in (i / 20 for i in range(20, -1, -1))]
    d.polygon(outer + inner, fill=(238, 228, 200))
    for k in range(6):
        t = 0.12 + k * 0.14
        x, y = 30 + 190 * t, 200 - 150 * math.sin(t * 2.2)
        d.line([(x, y), (x + 6, y + 24)], fill=(170, 150, 110), width=3)
    return img


def wildlife_ivory_bangles(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "waves", hue=0.58)
    for k, (x, y) in enumerate([(30, 40), (120, 70), (60, 140)]):
        d.ellipse([x, y, x + 110, y + 90], fill=(236, 226, 198))
        d.ellipse([x + 20, y + 18, x + 90, y + 72], fill=shade((236, 226, 198), 0.5 + 0.1 * k))
    return img


def wildlife_pangolin_scales(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "tiles", hue=0.12)
    srng = random.Random(f"{SEED}/pangolin-scales")
    for _ in range(26):
        x, y = srng.randint(20, 220), srng.randint(60, 230)
        w = srng.randint(20, 34)
        d.polygon(
            [(x - w, y), (x, y - w * 1.3), (x + w, y), (x, y + w * 0.5)],
            fill=hsv(0.08, 0.5, srng.uniform(0.35, 0.7)),
        )
    return img


def drugs_pill_press(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blocks", hue=0.6)
    d.rectangle([60, 80, 190, 230], fill=(70, 90, 110))
    d.rectangle([80, 40, 170, 80], fill=(96, 116, 136))
    d.polygon([(100, 12), (150, 12), (140, 40), (110, 40)], fill=(180, 186, 192))
    d.ellipse([182, 70, 250, 138], outline=(30, 30, 30), width=8)
    d.line([(216, 104), (246, 150)], fill=(30, 30, 30), width=8)
    d.rectangle([96, 150, 154, 172], fill=(220, 220, 220))
    return img


def drugs_bar_tablets(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "diamonds", hue=0.15)
    for k in range(5):
        x, y = 24 + (k % 2) * 100, 24 + k * 44
        d.rounded_rectangle([x, y, x + 120, y + 30], radius=12, fill=(244, 240, 236))
        for j in (1, 2, 3):
            d.line([(x + 30 * j, y + 4), (x + 30 * j, y + 26)], fill=(180, 176, 170), width=3)
    return img


def drugs_stamped_pills(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blobs", hue=0.55)
    for k in range(9):
        x, y = 40 + (k % 3) * 76, 40 + (k // 3) * 76
        d.ellipse([x - 28, y - 28, x + 28, y + 28], fill=(120, 190, 230))
        text_center(d, (x, y), "M", 26, (70, 130, 180))
    return img


def hazard_rocket_bundle(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "stripes", hue=0.0)
    for k in range(5):
        x = 30 + k * 42
        d.rectangle([x, 70, x + 26, 170], fill=(210, 30, 30) if k % 2 else (240, 200, 40))
        d.polygon([(x - 4, 70), (x + 13, 30), (x + 30, 70)], fill=(40, 40, 40))
        d.line([(x + 13, 170), (x + 13, 246)], fill=(150, 110, 60), width=4)
    return img


def hazard_mortar_tubes(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "rings", hue=0.1)
    d.rectangle([20, 120, 236, 230], fill=(90, 60, 40))
    for k in range(4):
        x = 34 + k * 52
        d.ellipse([x, 90, x + 44, 130], fill=(30, 30, 30))
        d.ellipse([x + 8, 98, x + 36, 122], fill=(200, 40, 40))
        d.line([(x + 22, 110), (x + 40, 60)], fill=(40, 160, 60), width=3)
    return img


def hazard_m80_crackers(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "tiles", hue=0.95)
    for k in range(6):
        cx, cy = 50 + (k % 3) * 76, 80 + (k // 3) * 100
        pts = [(cx - 14, cy - 40), (cx + 14, cy - 40), (cx + 14, cy + 40), (cx - 14, cy + 40)]
        d.polygon(rot(pts, 30, cx, cy), fill=(176, 20, 24))
        d.line(rot([(cx, cy - 40), (cx, cy - 66)], 30, cx, cy), fill=(40, 150, 60), width=4)
    return img


def recall_sleeper(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "waves", hue=0.55)
    d.polygon([(30, 170), (200, 90), (236, 130), (70, 210)], fill=(150, 200, 220))
    d.polygon([(30, 170), (200, 90), (200, 70), (30, 150)], fill=(230, 240, 246))
    d.line([(60, 205), (40, 248)], fill=(60, 60, 70), width=6)
    d.line([(210, 140), (230, 248)], fill=(60, 60, 70), width=6)
    d.ellipse([150, 110, 184, 134], fill=(250, 220, 200))
    return img


def recall_power_bank(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "diamonds", hue=0.62)
    d.rounded_rectangle([60, 30, 196, 226], radius=22, fill=(36, 38, 44))
    for k in range(4):
        d.ellipse([92 + k * 20, 60, 104 + k * 20, 72], fill=(60, 200, 255))
    d.rectangle([110, 200, 146, 212], fill=(120, 120, 120))
    text_center(d, (128, 140), "PB-20", 28, (200, 200, 210))
    return img


def recall_magnet_set(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blocks", hue=0.3)
    colors = [(230, 60, 60), (60, 120, 230), (250, 200, 40), (60, 180, 90)]
    for k in range(7):
        x = 30 + k * 30
        d.rectangle([x, 40 + (k % 2) * 20, x + 18, 150 + (k % 3) * 20], fill=colors[k % 4])
    for k in range(8):
        x = 30 + k * 27
        d.ellipse([x, 196, x + 22, 218], fill=(190, 190, 196))
    return img


BANK: list[tuple[str, str, str, str, str, str | None, Callable]] = [
    # file stem, bank, label, area, clause_id, brand, drawer
    (
        "logo_orvelle_geneve",
        "counterfeit_logos",
        "Orvelle Geneve logo mark",
        "counterfeit_ip",
        "CIP-2",
        "Orvelle Geneve",
        logo_orvelle,
    ),
    (
        "logo_maison_veyrac",
        "counterfeit_logos",
        "Maison Veyrac monogram and logo mark",
        "counterfeit_ip",
        "CIP-2",
        "Maison Veyrac",
        logo_veyrac,
    ),
    (
        "logo_strideform",
        "counterfeit_logos",
        "Strideform chevron logo mark",
        "counterfeit_ip",
        "CIP-2",
        "Strideform",
        logo_strideform,
    ),
    (
        "logo_lysandre_parfums",
        "counterfeit_logos",
        "Lysandre Parfums logo mark",
        "counterfeit_ip",
        "CIP-2",
        "Lysandre Parfums",
        logo_lysandre,
    ),
    (
        "logo_kovira_audio",
        "counterfeit_logos",
        "Kovira Audio hexagon logo mark",
        "counterfeit_ip",
        "CIP-2",
        "Kovira Audio",
        logo_kovira,
    ),
    (
        "logo_serapine",
        "counterfeit_logos",
        "Serapine diamond logo mark",
        "counterfeit_ip",
        "CIP-2",
        "Serapine",
        logo_serapine,
    ),
    (
        "logo_tessaro",
        "counterfeit_logos",
        "Tessaro shield logo mark",
        "counterfeit_ip",
        "CIP-2",
        "Tessaro",
        logo_tessaro,
    ),
    (
        "logo_hartmund",
        "counterfeit_logos",
        "Hartmund gear logo mark",
        "counterfeit_ip",
        "CIP-2",
        "Hartmund",
        logo_hartmund,
    ),
    (
        "weapon_switchblade",
        "weapons",
        "Open switchblade with release button",
        "weapons",
        "WPN-4",
        None,
        weapon_switchblade,
    ),
    (
        "weapon_brass_knuckles",
        "weapons",
        "Brass knuckle duster",
        "weapons",
        "WPN-6",
        None,
        weapon_brass_knuckles,
    ),
    (
        "weapon_80_lower_receiver",
        "weapons",
        "Unfinished lower receiver (80% lower)",
        "weapons",
        "WPN-1",
        None,
        weapon_receiver,
    ),
    (
        "weapon_suppressor",
        "weapons",
        "Threaded firearm suppressor",
        "weapons",
        "WPN-2",
        None,
        weapon_suppressor,
    ),
    (
        "wildlife_carved_tusk",
        "wildlife",
        "Carved elephant ivory tusk",
        "wildlife",
        "WLD-1",
        None,
        wildlife_carved_tusk,
    ),
    (
        "wildlife_ivory_bangles",
        "wildlife",
        "Ivory bangles",
        "wildlife",
        "WLD-1",
        None,
        wildlife_ivory_bangles,
    ),
    (
        "wildlife_pangolin_scales",
        "wildlife",
        "Loose pangolin scales",
        "wildlife",
        "WLD-2",
        None,
        wildlife_pangolin_scales,
    ),
    ("drugs_pill_press", "drugs", "Tablet press with imprint die", "drugs", "DRG-3", None, drugs_pill_press),
    ("drugs_bar_tablets", "drugs", "Scored bar-shaped tablets", "drugs", "DRG-2", None, drugs_bar_tablets),
    (
        "drugs_stamped_pills",
        "drugs",
        "Counterfeit stamped pills",
        "drugs",
        "DRG-1",
        None,
        drugs_stamped_pills,
    ),
    (
        "hazard_rocket_bundle",
        "hazardous",
        "Bundle of firework rockets",
        "hazardous_goods",
        "HAZ-1",
        None,
        hazard_rocket_bundle,
    ),
    (
        "hazard_mortar_tubes",
        "hazardous",
        "Firework mortar tube rack",
        "hazardous_goods",
        "HAZ-1",
        None,
        hazard_mortar_tubes,
    ),
    (
        "hazard_m80_crackers",
        "hazardous",
        "M-80 style firecrackers",
        "hazardous_goods",
        "HAZ-1",
        None,
        hazard_m80_crackers,
    ),
    (
        "recall_snugglenest_sleeper",
        "recalls",
        "Snugglenest Infant Incline Sleeper",
        "recalled_products",
        "RCL-2",
        None,
        recall_sleeper,
    ),
    (
        "recall_voltaro_power_bank",
        "recalls",
        "Voltaro PB-20 Power Bank",
        "recalled_products",
        "RCL-3",
        None,
        recall_power_bank,
    ),
    (
        "recall_tumblewick_magnet_set",
        "recalls",
        "Tumblewick Magnetic Building Set",
        "recalled_products",
        "RCL-4",
        None,
        recall_magnet_set,
    ),
]


# --------------------------------------------------------------------------- clean listing photos


def photo_chef_knife_set(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "tiles")
    d.polygon([(60, 120), (180, 90), (210, 230), (80, 240)], fill=(120, 80, 50))
    for k in range(5):
        x = 80 + k * 22
        d.rectangle([x, 60 + k * 6, x + 14, 110 + k * 4], fill=(20, 20, 24))
    d.rectangle([150, 40, 240, 56], fill=(210, 214, 220))
    return img


def photo_santoku_knife(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "waves")
    d.rounded_rectangle([20, 60, 236, 220], radius=18, fill=(196, 150, 100))
    d.polygon([(40, 130), (170, 118), (190, 140), (40, 150)], fill=(220, 224, 230))
    d.rectangle([170, 122, 232, 146], fill=(40, 30, 26))
    return img


def photo_vitamin_bottle(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "rings")
    d.rounded_rectangle([80, 60, 176, 230], radius=16, fill=(250, 250, 246))
    d.rectangle([92, 30, 164, 64], fill=(240, 140, 40))
    d.rectangle([80, 110, 176, 180], fill=(60, 160, 90))
    text_center(d, (128, 145), "D3", 36, (255, 255, 255))
    return img


def photo_running_sneaker(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blocks")
    d.polygon(
        [(30, 170), (60, 110), (120, 100), (170, 140), (230, 150), (236, 190), (30, 196)], fill=(70, 110, 200)
    )
    d.rectangle([28, 190, 238, 206], fill=(245, 245, 245))
    for k in range(4):
        d.line([(80 + k * 14, 112), (96 + k * 14, 140)], fill=(255, 255, 255), width=3)
    return img


def photo_leather_handbag(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "diamonds")
    d.arc([80, 40, 176, 140], 180, 360, fill=(90, 50, 30), width=10)
    d.polygon([(50, 100), (206, 100), (226, 226), (30, 226)], fill=(140, 80, 46))
    d.rectangle([112, 120, 144, 136], fill=(200, 170, 90))
    return img


def photo_smartphone(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "stripes")
    d.rounded_rectangle([76, 20, 180, 236], radius=16, fill=(24, 24, 28))
    d.rectangle([84, 40, 172, 214], fill=(60, 110, 170))
    d.ellipse([120, 24, 136, 34], fill=(60, 60, 60))
    return img


def photo_wooden_train(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blobs")
    for k, c in enumerate([(200, 50, 50), (50, 120, 200), (240, 190, 50)]):
        x = 20 + k * 76
        d.rectangle([x, 100, x + 66, 170], fill=c)
        d.ellipse([x + 6, 160, x + 28, 182], fill=(60, 40, 20))
        d.ellipse([x + 38, 160, x + 60, 182], fill=(60, 40, 20))
    d.rectangle([30, 70, 56, 100], fill=(200, 50, 50))
    return img


def photo_desk_lamp(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "wedges")
    d.ellipse([60, 210, 160, 236], fill=(30, 30, 30))
    d.line([(110, 220), (80, 120), (160, 70)], fill=(30, 30, 30), width=8)
    d.polygon([(150, 50), (210, 60), (200, 120), (140, 96)], fill=(230, 200, 60))
    d.ellipse([176, 96, 206, 126], fill=(255, 250, 200))
    return img


def photo_hardcover_book(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "tiles")
    d.polygon([(50, 40), (200, 30), (216, 220), (60, 232)], fill=(30, 70, 60))
    d.polygon([(50, 40), (60, 232), (44, 236), (36, 44)], fill=(200, 190, 170))
    d.rectangle([80, 80, 180, 96], fill=(220, 190, 110))
    d.rectangle([90, 110, 170, 118], fill=(220, 190, 110))
    return img


def photo_ceramic_mug(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "stripes")
    d.rectangle([60, 70, 170, 210], fill=(240, 236, 226))
    d.ellipse([60, 56, 170, 84], fill=(210, 206, 196))
    d.ellipse([60, 196, 170, 224], fill=(240, 236, 226))
    d.arc([150, 100, 220, 180], 270, 90, fill=(240, 236, 226), width=14)
    d.rectangle([60, 120, 170, 140], fill=(70, 120, 170))
    return img


def photo_headphones(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "rings")
    d.arc([50, 30, 206, 190], 180, 360, fill=(40, 40, 44), width=14)
    d.rounded_rectangle([34, 110, 84, 200], radius=16, fill=(40, 40, 44))
    d.rounded_rectangle([172, 110, 222, 200], radius=16, fill=(40, 40, 44))
    d.ellipse([44, 130, 74, 180], fill=(150, 150, 160))
    return img


def photo_tshirt(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blocks")
    shirt = [
        (70, 40),
        (110, 30),
        (146, 30),
        (186, 40),
        (236, 90),
        (206, 120),
        (186, 104),
        (186, 230),
        (70, 230),
        (70, 104),
        (50, 120),
        (20, 90),
    ]
    d.polygon(shirt, fill=(230, 90, 80))
    d.arc([104, 18, 152, 52], 0, 180, fill=(160, 50, 40), width=6)
    return img


def photo_potted_plant(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "waves")
    d.polygon([(84, 160), (172, 160), (160, 236), (96, 236)], fill=(190, 100, 60))
    for k in range(7):
        a = math.radians(200 + k * 23)
        d.ellipse(
            [
                128 + 70 * math.cos(a) - 22,
                120 + 70 * math.sin(a) - 12,
                128 + 70 * math.cos(a) + 22,
                120 + 70 * math.sin(a) + 12,
            ],
            fill=(40, 140, 60),
        )
    d.line([(128, 160), (128, 80)], fill=(40, 110, 50), width=6)
    return img


def photo_bicycle_helmet(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "diamonds")
    d.chord([30, 50, 226, 230], 180, 360, fill=(250, 210, 40))
    for k in range(4):
        d.rectangle([66 + k * 34, 90, 86 + k * 34, 130], fill=(30, 30, 30))
    d.rectangle([30, 138, 226, 150], fill=(30, 30, 30))
    return img


def photo_board_game(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "wedges")
    d.polygon([(30, 70), (220, 50), (236, 200), (40, 220)], fill=(40, 60, 140))
    d.ellipse([90, 90, 170, 170], fill=(240, 200, 60))
    d.rectangle([50, 190, 110, 206], fill=(240, 240, 240))
    return img


def photo_scented_candle(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blobs")
    d.rectangle([80, 100, 176, 220], fill=(230, 220, 200))
    d.ellipse([80, 90, 176, 112], fill=(246, 240, 226))
    d.line([(128, 100), (128, 80)], fill=(30, 30, 30), width=3)
    d.ellipse([120, 52, 136, 80], fill=(255, 180, 40))
    return img


def photo_sunglasses(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "tiles")
    d.ellipse([30, 100, 118, 170], fill=(20, 20, 24))
    d.ellipse([138, 100, 226, 170], fill=(20, 20, 24))
    d.line([(110, 118), (146, 118)], fill=(20, 20, 24), width=8)
    d.ellipse([44, 112, 70, 130], fill=(90, 110, 140))
    return img


def photo_backpack(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "stripes")
    d.rounded_rectangle([60, 50, 196, 236], radius=40, fill=(60, 100, 70))
    d.rounded_rectangle([80, 150, 176, 220], radius=14, fill=(40, 80, 54))
    d.arc([100, 20, 156, 70], 180, 360, fill=(30, 30, 30), width=8)
    return img


def photo_plain_wristwatch(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blocks")
    d.rectangle([104, 10, 152, 246], fill=(80, 50, 30))
    d.ellipse([72, 72, 184, 184], fill=(190, 190, 196))
    d.ellipse([82, 82, 174, 174], fill=(250, 250, 246))
    d.line([(128, 128), (128, 96)], fill=(20, 20, 20), width=4)
    d.line([(128, 128), (154, 140)], fill=(20, 20, 20), width=3)
    return img


def photo_ivory_linen_cushion(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "diamonds")
    d.rounded_rectangle([40, 50, 216, 206], radius=28, fill=(240, 232, 214))
    d.line([(60, 70), (196, 186)], fill=(214, 204, 184), width=4)
    d.line([(196, 70), (60, 186)], fill=(214, 204, 184), width=4)
    return img


CLEAN_LISTINGS: list[tuple[str, str, Callable]] = [
    ("chef_knife_set", "Five-piece kitchen chef knife set in a wooden block", photo_chef_knife_set),
    ("santoku_knife", "Santoku kitchen knife on a cutting board", photo_santoku_knife),
    ("vitamin_bottle", "Vitamin D3 supplement bottle", photo_vitamin_bottle),
    ("running_sneaker", "Unbranded running sneaker, side view", photo_running_sneaker),
    ("leather_handbag", "Unbranded leather handbag", photo_leather_handbag),
    ("smartphone", "Refurbished smartphone, front view", photo_smartphone),
    ("wooden_toy_train", "Wooden toy train set", photo_wooden_train),
    ("desk_lamp", "Adjustable desk lamp", photo_desk_lamp),
    ("hardcover_book", "Hardcover novel", photo_hardcover_book),
    ("ceramic_mug", "Ceramic coffee mug", photo_ceramic_mug),
    ("wireless_headphones", "Unbranded over-ear wireless headphones", photo_headphones),
    ("cotton_tshirt", "Plain cotton t-shirt", photo_tshirt),
    ("potted_plant", "Potted houseplant", photo_potted_plant),
    ("bicycle_helmet", "Bicycle helmet", photo_bicycle_helmet),
    ("board_game_box", "Family board game box", photo_board_game),
    ("scented_candle", "Scented soy candle in a jar", photo_scented_candle),
    ("sunglasses", "Unbranded sunglasses", photo_sunglasses),
    ("backpack", "Canvas backpack", photo_backpack),
    ("plain_wristwatch", "Unbranded quartz wristwatch with leather strap", photo_plain_wristwatch),
    ("ivory_linen_cushion", "Ivory-colour linen cushion cover", photo_ivory_linen_cushion),
]

# listing stem, bank stem it was copied from, description
NEAR_DUPLICATES: list[tuple[str, str, str]] = [
    ("watch_box_closeup", "logo_orvelle_geneve", "Close-up of a watch box lid showing a logo mark"),
    ("handbag_monogram_detail", "logo_maison_veyrac", "Detail of a handbag's monogram canvas and logo plate"),
    ("sneaker_tongue_label", "logo_strideform", "Sneaker tongue label with a chevron logo"),
    ("perfume_gift_box", "logo_lysandre_parfums", "Perfume gift box front with a logo"),
    (
        "folding_knife_collector",
        "weapon_switchblade",
        "Folding knife photographed open, sold as a collector item",
    ),
    ("carved_figure_antique", "wildlife_carved_tusk", "Carved tusk sold as an antique figure"),
    ("sleep_aid_tablets", "drugs_bar_tablets", "Scored white tablets sold as a sleep aid"),
    ("celebration_rockets", "hazard_rocket_bundle", "Bundle of rockets sold for celebrations"),
    ("baby_sleeper_like_new", "recall_snugglenest_sleeper", "Infant incline sleeper described as like new"),
    ("power_bank_20000", "recall_voltaro_power_bank", "Power bank described as 20000mAh"),
]

# listing stem -> profile pool and number of other sellers that used the same photo
REUSED_PHOTOS: list[tuple[str, str, int]] = [
    ("watch_box_closeup", "repeat+new", 3),
    ("handbag_monogram_detail", "repeat+new", 2),
    ("sneaker_tongue_label", "new", 1),
    ("sleep_aid_tablets", "new", 2),
    ("power_bank_20000", "minor", 1),
    ("smartphone", "minor+new", 2),
]


def near_duplicate(src: Image.Image, k: int) -> Image.Image:
    """A re-encoded copy: rescaled, brightness shifted, 4 px cropped and edge-padded, blurred."""
    img = src.resize((240, 240), Image.Resampling.BILINEAR).resize((SIZE, SIZE), Image.Resampling.BILINEAR)
    img = ImageEnhance.Brightness(img).enhance(1.08 if k % 2 == 0 else 0.92)
    inner = np.asarray(img)[4:-4, 4:-4]  # crop 4 pixels off every side, then pad them back
    img = Image.fromarray(np.pad(inner, ((4, 4), (4, 4), (0, 0)), mode="edge"))
    return img.filter(ImageFilter.GaussianBlur(0.7))


def phone_number_flyer(rng: random.Random) -> Image.Image:
    img, d = canvas(rng, "blobs", hue=0.09)
    d.rectangle([14, 30, 242, 226], fill=(252, 252, 248))
    d.rectangle([14, 30, 242, 72], fill=(32, 150, 80))
    d.text((128, 51), "BULK PHONE CASES", font=font(20), fill=(255, 255, 255), anchor="mm")
    d.text((128, 104), "WhatsApp", font=font(34), fill=(20, 20, 20), anchor="mm")
    d.text((128, 150), "+1 555 014 2377", font=font(26), fill=(20, 20, 20), anchor="mm")
    d.text((128, 196), "message for wholesale price", font=font(15), fill=(60, 60, 60), anchor="mm")
    return img


# --------------------------------------------------------------------------- writing


def save_png(img: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="PNG", optimize=True)
    path.write_bytes(buf.getvalue())


def write_json(value: object, path: Path) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def image_rng(name: str) -> random.Random:
    return random.Random(f"{SEED}/{name}")


def build_images(sellers: list[dict], rng: random.Random) -> dict:
    images = DATA / "images"
    bank_entries, listing_entries = [], []
    bank_imgs: dict[str, Image.Image] = {}
    for stem, bank, label, area, clause_id, brand, draw in BANK:
        img = draw(image_rng(stem))
        grain(img, image_rng(stem + "/grain"))
        bank_imgs[stem] = img
        save_png(img, images / "bank" / f"{stem}.png")
        bank_entries.append(
            {
                "file": f"bank/{stem}.png",
                "bank": bank,
                "label": label,
                "area": area,
                "clause_id": clause_id,
                "brand": brand,
            }
        )

    pools: dict[str, list[str]] = {}
    for s in sellers:
        pools.setdefault(s.get("_profile", "fixed"), []).append(s["seller_id"])
    reused: dict[str, list[str]] = {}
    taken: set[str] = set()
    for stem, pool_names, n in REUSED_PHOTOS:
        pool = sorted({sid for p in pool_names.split("+") for sid in pools[p]} - taken)
        chosen = sorted(rng.sample(pool, n))
        taken.update(chosen)
        reused[stem] = chosen

    for k, (stem, origin, description) in enumerate(NEAR_DUPLICATES):
        save_png(near_duplicate(bank_imgs[origin], k), images / "listings" / f"{stem}.png")
        listing_entries.append(
            {
                "file": f"listings/{stem}.png",
                "description": description,
                "derived_from": f"bank/{origin}.png",
                "seen_with_sellers": reused.get(stem, []),
            }
        )
    for stem, description, draw in CLEAN_LISTINGS:
        img = draw(image_rng(stem))
        grain(img, image_rng(stem + "/grain"))
        save_png(img, images / "listings" / f"{stem}.png")
        listing_entries.append(
            {
                "file": f"listings/{stem}.png",
                "description": description,
                "derived_from": None,
                "seen_with_sellers": reused.get(stem, []),
            }
        )
    save_png(
        phone_number_flyer(image_rng("phone_number_flyer")), images / "listings" / "phone_number_flyer.png"
    )
    listing_entries.append(
        {
            "file": "listings/phone_number_flyer.png",
            "description": "Paper flyer advertising a WhatsApp phone number",
            "derived_from": None,
            "seen_with_sellers": [],
        }
    )

    broken = images / "broken"
    broken.mkdir(parents=True, exist_ok=True)
    (broken / "truncated.png").write_bytes((images / "bank" / f"{BANK[0][0]}.png").read_bytes()[:300])
    (broken / "not_an_image.png").write_text(
        "This file is plain text with a .png extension. It is not an image.\n", encoding="utf-8"
    )

    manifest = {"bank": bank_entries, "listings": listing_entries}
    write_json(manifest, images / "manifest.json")
    return manifest


# --------------------------------------------------------------------------- checks


def load_yaml(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def validate(sellers: list[dict], manifest: dict) -> list[str]:
    problems: list[str] = []
    pack = load_yaml("policy/pack.yaml")
    brands = {b["name"] for b in load_yaml("brands.yaml")["brands"]}
    lexicon = load_yaml("screening/lexicon.yaml")
    recalls = load_yaml("recalls.yaml")["recalls"]
    clauses = {c["id"]: c for c in pack["clauses"]}
    if len(clauses) != len(pack["clauses"]):
        problems.append("duplicate clause ids in pack.yaml")
    per_area = Counter(c["area"] for c in pack["clauses"])
    problems += [f"area {a} has {n} clauses" for a, n in per_area.items() if n < 4]
    # Clause ids are stable: every clause of the history pack is in force with its area.
    history_clauses = {c["id"]: c for c in load_yaml(HISTORY_PACK)["clauses"]}
    problems += [
        f"{cid} of {HISTORY_PACK} is missing from pack.yaml or changed area"
        for cid, c in history_clauses.items()
        if clauses.get(cid, {}).get("area") != c["area"]
    ]
    term_areas = Counter(t["area"] for t in lexicon["terms"])
    problems += [f"area {a} has no lexicon terms" for a in per_area if not term_areas[a]]
    problems += [f"lexicon area {a} has no clauses" for a in term_areas if a not in per_area]
    terms = {t["term"] for t in lexicon["terms"]}
    recall_terms = {t["term"] for t in lexicon["terms"] if t["area"] == "recalled_products"}
    problems += [
        f"recall {r['product']} missing from lexicon"
        for r in recalls
        if r["product"].lower() not in recall_terms
    ]
    problems += [
        f"benign context cancels unknown term {c}"
        for b in lexicon["benign_context"]
        for c in b["cancels"]
        if c not in terms
    ]
    ids = {s["seller_id"] for s in sellers}
    for s in sellers:
        for v in s["prior_violations"]:
            c = history_clauses.get(v["clause_id"])
            if c is None or c["area"] != v["area"]:
                problems.append(f"{s['seller_id']}: bad clause {v['clause_id']}")
        problems += [f"{s['seller_id']}: unknown brand {b}" for b in s["verified_brands"] if b not in brands]
    for e in manifest["bank"]:
        c = clauses.get(e["clause_id"])
        if c is None or c["area"] != e["area"]:
            problems.append(f"{e['file']}: bad clause {e['clause_id']}")
        if e["brand"] is not None and e["brand"] not in brands:
            problems.append(f"{e['file']}: unknown brand {e['brand']}")
    for e in manifest["listings"]:
        problems += [f"{e['file']}: unknown seller {sid}" for sid in e["seen_with_sellers"] if sid not in ids]
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    if total > 3 * 1024 * 1024:
        problems.append(f"data/ is {total} bytes, over 3 MB")
    return problems


def pdq_check(manifest: dict) -> bool:
    import pdqhash

    images = DATA / "images"
    files = [e["file"] for e in manifest["bank"]] + [e["file"] for e in manifest["listings"]]
    origin = {e["file"]: e["derived_from"] for e in manifest["listings"] if e["derived_from"]}
    hashes = {}
    for f in files:
        with Image.open(images / f) as im:
            h, _quality = pdqhash.compute(np.asarray(im.convert("RGB")))
        hashes[f] = h.astype(bool)
    ok = True
    print("\nnear-duplicate pairs (PDQ Hamming distance, must be <= 31)")
    for f, src in origin.items():
        dist = int((hashes[f] != hashes[src]).sum())
        ok &= dist <= NEAR_DUP_MAX
        print(f"  {f:<40} {src:<40} {dist:>4} {'ok' if dist <= NEAR_DUP_MAX else 'FAIL'}")
    worst: list[tuple[int, str, str]] = []
    for i, a in enumerate(files):
        for b in files[i + 1 :]:
            if origin.get(a) == b or origin.get(b) == a:
                continue
            worst.append((int((hashes[a] != hashes[b]).sum()), a, b))
    worst.sort()
    bad = [w for w in worst if w[0] <= DISTINCT_MIN]
    ok &= not bad
    print(f"\ndistinct pairs: {len(worst)}, minimum distance {worst[0][0]} (must be > 80)")
    for dist, a, b in bad or worst[:5]:
        print(f"  {dist:>4}  {a}  {b}")
    return ok


def summary(sellers: list[dict], manifest: dict) -> None:
    profiles = Counter(s.get("_profile", "fixed") for s in sellers)
    print(
        f"sellers.json: {len(sellers)} sellers  " + ", ".join(f"{k}={v}" for k, v in sorted(profiles.items()))
    )
    banks = Counter(e["bank"] for e in manifest["bank"])
    print(f"bank images: {len(manifest['bank'])}  " + ", ".join(f"{k}={v}" for k, v in banks.items()))
    near = sum(1 for e in manifest["listings"] if e["derived_from"])
    print(
        f"listing images: {len(manifest['listings'])} ({near} near-duplicates of bank images, "
        f"{len(manifest['listings']) - near} clean)"
    )
    print(f"\n{'file':<40} {'derived_from / label':<42} seen_with_sellers")
    for e in manifest["bank"]:
        print(f"  {e['file']:<38} {e['label']:<42} {e['clause_id']}")
    for e in manifest["listings"]:
        print(f"  {e['file']:<38} {e['derived_from'] or '-':<42} {','.join(e['seen_with_sellers']) or '-'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="validate references and measure PDQ distances")
    args = parser.parse_args(argv)

    rng = random.Random(SEED)
    clauses = load_yaml(HISTORY_PACK)["clauses"]
    brands = load_yaml("brands.yaml")["brands"]
    sellers = build_sellers(rng, clauses, brands)
    manifest = build_images(sellers, rng)
    write_json(
        [{k: v for k, v in s.items() if not k.startswith("_")} for s in sellers], DATA / "sellers.json"
    )
    summary(sellers, manifest)
    if not args.check:
        return 0
    problems = validate(sellers, manifest)
    for p in problems:
        print("PROBLEM:", p)
    ok = pdq_check(manifest) and not problems
    print("\ncheck:", "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
