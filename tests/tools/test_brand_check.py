"""Brand check: protected brands named in a listing, and its price against their market floor."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from auditgraph.tools import BundledPaths
from auditgraph.tools.brand_check import (
    PRICE_ANOMALY_RATIO,
    BrandCheck,
    BrandChecker,
    BrandCheckInput,
    BrandRegistryError,
    load_brand_registry,
    make_brand_check_tool,
)


def _check(
    checker: BrandChecker, text: str, price: str, currency: str = "USD", brand: str | None = None
) -> BrandCheck:
    return checker.check(BrandCheckInput(text=text, brand=brand, price=Decimal(price), currency=currency))


def test_registry_loads_every_brand_and_rate(brand_checker: BrandChecker) -> None:
    registry = brand_checker.registry
    assert len(registry.brands) == 16
    assert registry.usd_per_unit["USD"] == 1.0
    assert registry.find("orvelle genève") is registry.find("Orvelle Geneve")
    assert registry.find("Rolex") is None


@pytest.mark.parametrize("brand", [None, ""])
def test_brand_in_text_found_without_brand_field(brand_checker: BrandChecker, brand: str | None) -> None:
    result = _check(brand_checker, "Automatic chronograph by Orvelle Geneve, boxed", "2500", brand=brand)
    assert result.brands == ["Orvelle Geneve"]
    assert result.rights_holders == ["Orvelle Horlogerie SA"]


def test_obfuscated_and_accented_brand_in_text_is_found(brand_checker: BrandChecker) -> None:
    assert _check(brand_checker, "0RVELLE Genève style watch", "2500").brands == ["Orvelle Geneve"]


def test_brand_field_alone_is_enough(brand_checker: BrandChecker) -> None:
    assert _check(brand_checker, "Automatic watch", "2500", brand="orvelle geneve").brands == [
        "Orvelle Geneve"
    ]


def test_brand_named_in_field_and_text_is_listed_once(brand_checker: BrandChecker) -> None:
    result = _check(brand_checker, "Orvelle Geneve watch", "2500", brand="Orvelle Geneve")
    assert result.brands == ["Orvelle Geneve"]


def test_brand_name_inside_another_word_is_not_a_brand(brand_checker: BrandChecker) -> None:
    assert _check(brand_checker, "Nimbrav case for phones", "10").brands == []


def test_price_far_below_floor_is_an_anomaly(brand_checker: BrandChecker) -> None:
    result = _check(brand_checker, "Orvelle Geneve Chronograph, box and papers", "129")
    assert result.status == "ok"
    assert result.price_usd == 129.0
    assert result.market_floor_usd == 2200.0
    assert result.price_ratio == pytest.approx(129 / 2200, abs=1e-3)
    assert result.price_anomaly is True
    assert result.note is None


@pytest.mark.parametrize("price", ["2500", "2200", "900"])
def test_normal_price_is_not_an_anomaly(brand_checker: BrandChecker, price: str) -> None:
    result = _check(brand_checker, "Orvelle Geneve Chronograph", price)
    assert result.price_ratio is not None
    assert result.price_ratio >= PRICE_ANOMALY_RATIO
    assert result.price_anomaly is False


@pytest.mark.parametrize(
    ("price", "currency", "usd", "anomaly"),
    [
        ("2000", "EUR", 2160.0, False),
        ("100000", "JPY", 670.0, True),
        ("500", "GBP", 635.0, True),
        ("2000", "CHF", 2260.0, False),
    ],
)
def test_non_usd_price_is_converted(
    brand_checker: BrandChecker, price: str, currency: str, usd: float, anomaly: bool
) -> None:
    result = _check(brand_checker, "Orvelle Geneve watch", price, currency)
    assert result.price_usd == pytest.approx(usd)
    assert result.price_anomaly is anomaly


def test_unknown_currency_gives_a_note_not_an_error(brand_checker: BrandChecker) -> None:
    result = _check(brand_checker, "Orvelle Geneve watch", "129", "XYZ")
    assert result.status == "ok"
    assert result.brands == ["Orvelle Geneve"]
    assert result.note == "no reference rate for 'XYZ'"
    assert result.price_usd is None
    assert result.price_anomaly is False


def test_several_brands_compare_with_the_highest_floor(brand_checker: BrandChecker) -> None:
    result = _check(brand_checker, "Strideform and Quenzio sneakers bundle", "300")
    assert sorted(result.brands) == ["Quenzio", "Strideform"]
    assert result.market_floor_usd == 520.0
    assert len(result.rights_holders) == 2


def test_no_brand_means_no_price_check(brand_checker: BrandChecker) -> None:
    result = _check(brand_checker, "Plain ceramic mug", "1", brand="Rolex")
    assert result == BrandCheck()


def test_unusable_registry_is_refused(tmp_path: Path, paths: BundledPaths) -> None:
    bad = tmp_path / "brands.yaml"
    bad.write_text("brands:\n  - name: X\n    category: y\n    rights_holder: Z\n    min_market_price: 0\n")
    with pytest.raises(BrandRegistryError):
        load_brand_registry(bad, paths.fx_rates)
    with pytest.raises(BrandRegistryError):
        load_brand_registry(paths.brands, tmp_path / "absent.yaml")


def test_tool_returns_brand_check(brand_checker: BrandChecker) -> None:
    tool = make_brand_check_tool(brand_checker)
    result = tool.invoke({"text": "Orvelle Geneve watch", "price": "129.00", "currency": "USD"})
    assert isinstance(result, BrandCheck)
    assert result.price_anomaly is True
