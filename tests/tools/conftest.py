"""Fixtures for the evidence-tool tests: the bundled data, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditgraph.tools import BundledPaths
from auditgraph.tools.brand_check import BrandChecker, load_brand_registry
from auditgraph.tools.image_check import HashBank, ImageChecker, LocalImageSource, load_hash_bank
from auditgraph.tools.policy_retrieval import PolicyIndex, PolicyPack, load_policy_pack
from auditgraph.tools.text_screen import TextScreener, load_lexicon

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="session")
def paths() -> BundledPaths:
    """Where the bundled demo data lives."""
    return BundledPaths(DATA_DIR)


@pytest.fixture(scope="session")
def policy_pack(paths: BundledPaths) -> PolicyPack:
    """The bundled policy pack."""
    return load_policy_pack(paths.policy_pack)


@pytest.fixture(scope="session")
def policy_index(policy_pack: PolicyPack) -> PolicyIndex:
    """A BM25 index over the bundled policy pack."""
    return PolicyIndex(policy_pack)


@pytest.fixture(scope="session")
def screener(paths: BundledPaths) -> TextScreener:
    """The text screen over the bundled lexicon."""
    return TextScreener(load_lexicon(paths.lexicon))


@pytest.fixture(scope="session")
def brand_checker(paths: BundledPaths) -> BrandChecker:
    """The brand check over the bundled registry and exchange rates."""
    return BrandChecker(load_brand_registry(paths.brands, paths.fx_rates))


@pytest.fixture(scope="session")
def hash_bank(paths: BundledPaths) -> HashBank:
    """The committed PDQ hash bank."""
    return load_hash_bank(paths.hash_bank)


@pytest.fixture(scope="session")
def image_checker(paths: BundledPaths, hash_bank: HashBank) -> ImageChecker:
    """The image check over the bundled images and hash bank."""
    return ImageChecker(LocalImageSource(paths.images), hash_bank)
