"""Image check: PDQ hashing, bank matching, photo reuse, and images that cannot be checked."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from auditgraph.tools import BundledPaths
from auditgraph.tools.image_check import (
    MAX_IMAGE_BYTES,
    PDQ_MATCH_THRESHOLD,
    HashBank,
    ImageCheck,
    ImageChecker,
    ImageCheckInput,
    ImageFinding,
    ImageProblem,
    LocalImageSource,
    PdqIndex,
    build_hash_bank,
    hash_image,
    make_image_check_tool,
)
from auditgraph.tools.retry import BackendUnavailable

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
MANIFEST: dict[str, Any] = json.loads((DATA_DIR / "images" / "manifest.json").read_text("utf-8"))
BANK_BY_FILE = {item["file"]: item for item in MANIFEST["bank"]}
NEAR_DUPLICATES = [item for item in MANIFEST["listings"] if item["derived_from"]]
CLEAN = [item for item in MANIFEST["listings"] if not item["derived_from"]]
REUSED = [item for item in MANIFEST["listings"] if item["seen_with_sellers"]]


def _check_one(checker: ImageChecker, ref: str, seller_id: str = "S00001") -> ImageFinding:
    result = checker.check(ImageCheckInput(images=[ref], seller_id=seller_id))
    assert result.status == "ok"
    (finding,) = result.images
    return finding


def _hex_at_distance(bits: int) -> str:
    """A 256-bit hash `bits` bits away from the all-zero hash."""
    return f"{(1 << bits) - 1:064x}"


class DownImageSource:
    """A complete fake source whose image store is always down."""

    def read(self, ref: str) -> bytes:
        """Fails the way a remote fetch does after its retries."""
        raise BackendUnavailable(f"TimeoutError: fetching {ref!r} timed out (after 3 attempts)")


# ---------------------------------------------------------------- hashing


def test_hash_image_gives_hex_hash_and_quality(paths: BundledPaths) -> None:
    data = (paths.images / "bank" / "logo_orvelle_geneve.png").read_bytes()
    pdq = hash_image(data)
    assert re.fullmatch(r"[0-9a-f]{64}", pdq.hex)
    assert isinstance(pdq.quality, int)
    assert 50 <= pdq.quality <= 100
    assert hash_image(data) == pdq


def test_committed_hash_bank_does_not_drift(paths: BundledPaths, hash_bank: HashBank) -> None:
    rebuilt = build_hash_bank(paths.images / "manifest.json")
    assert rebuilt == hash_bank
    assert len(hash_bank.entries) == len(MANIFEST["bank"])
    assert {s.seller_id for s in hash_bank.sightings} == {
        seller for item in MANIFEST["listings"] for seller in item["seen_with_sellers"]
    }


# ---------------------------------------------------------------- index


def test_index_returns_nearest_first_and_nothing_above_threshold() -> None:
    index = PdqIndex(
        [
            _hex_at_distance(40),
            _hex_at_distance(20),
            _hex_at_distance(PDQ_MATCH_THRESHOLD + 1),
            _hex_at_distance(0),
            _hex_at_distance(PDQ_MATCH_THRESHOLD),
        ]
    )
    assert len(index) == 5
    hits = index.query(_hex_at_distance(0))
    assert [(h.position, h.distance) for h in hits] == [(3, 0), (1, 20), (4, PDQ_MATCH_THRESHOLD)]
    assert [h.position for h in index.query(_hex_at_distance(0), threshold=40)] == [3, 1, 4, 2, 0]
    assert index.query("f" * 64) == []


def test_empty_index_matches_nothing() -> None:
    assert PdqIndex([]).query(_hex_at_distance(0)) == []


# ---------------------------------------------------------------- matching the bundled images


@pytest.mark.parametrize("item", NEAR_DUPLICATES, ids=lambda item: item["file"])
def test_near_duplicate_matches_its_bank_entry(image_checker: ImageChecker, item: dict[str, Any]) -> None:
    finding = _check_one(image_checker, item["file"])
    source = BANK_BY_FILE[item["derived_from"]]
    assert finding.status == "ok"
    assert finding.matches, f"{item['file']} matched nothing"
    best = finding.matches[0]
    assert best.label == source["label"]
    assert best.bank == source["bank"]
    assert best.area == source["area"]
    assert best.clause_id == source["clause_id"]
    assert best.brand == source["brand"]
    assert 0 <= best.distance <= PDQ_MATCH_THRESHOLD


@pytest.mark.parametrize("item", CLEAN, ids=lambda item: item["file"])
def test_clean_listing_image_has_no_bank_match(image_checker: ImageChecker, item: dict[str, Any]) -> None:
    finding = _check_one(image_checker, item["file"])
    assert finding.status == "ok"
    assert finding.matches == []
    assert finding.pdq is not None


def test_bank_image_itself_matches_at_distance_zero(image_checker: ImageChecker) -> None:
    finding = _check_one(image_checker, "bank/weapon_switchblade.png")
    assert finding.matches[0].distance == 0
    assert finding.matches[0].clause_id == "WPN-4"


@pytest.mark.parametrize("item", REUSED, ids=lambda item: item["file"])
def test_reused_by_names_other_sellers_only(image_checker: ImageChecker, item: dict[str, Any]) -> None:
    others = sorted(item["seen_with_sellers"])
    assert _check_one(image_checker, item["file"], seller_id="S00001").reused_by == others
    own = others[0]
    assert _check_one(image_checker, item["file"], seller_id=own).reused_by == others[1:]


def test_unreused_photo_has_no_reuse(image_checker: ImageChecker) -> None:
    assert _check_one(image_checker, "listings/ceramic_mug.png").reused_by == []


def test_findings_keep_the_order_of_the_references(image_checker: ImageChecker) -> None:
    refs = ["listings/ceramic_mug.png", "missing.png", "listings/watch_box_closeup.png"]
    result = image_checker.check(ImageCheckInput(images=refs, seller_id="S00003"))
    assert [f.ref for f in result.images] == refs
    assert [f.ref for f in result.unverifiable] == ["missing.png"]


# ---------------------------------------------------------------- images that cannot be checked


@pytest.mark.parametrize(
    ("ref", "status", "error"),
    [
        ("listings/no_such_photo.png", "missing", "no image file at 'listings/no_such_photo.png'"),
        ("broken/truncated.png", "unreadable", "not a readable image"),
        ("broken/not_an_image.png", "unreadable", "not a readable image"),
        ("../../pyproject.toml", "blocked", "outside the allowed image folders"),
        ("listings/../../sellers.json", "blocked", "outside the allowed image folders"),
        (str(DATA_DIR.parent / "pyproject.toml"), "blocked", "outside the allowed image folders"),
        ("/etc/hostname", "blocked", "outside the allowed image folders"),
        ("http://example.com/watch.png", "blocked", "remote fetching is disabled"),
        ("HTTPS://example.com/watch.png", "blocked", "remote fetching is disabled"),
        ("listings/watch\x00.png", "blocked", "NUL byte"),
    ],
    ids=[
        "missing",
        "truncated",
        "not-an-image",
        "traversal",
        "traversal-via-subfolder",
        "absolute-outside",
        "absolute-system",
        "http",
        "https-uppercase",
        "nul-byte",
    ],
)
def test_unusable_image_is_evidence_not_a_crash(
    image_checker: ImageChecker, ref: str, status: str, error: str
) -> None:
    finding = _check_one(image_checker, ref)
    assert finding.status == status
    assert finding.error is not None
    assert error in finding.error
    assert finding.pdq is None
    assert finding.matches == []


def test_traversal_that_stays_inside_the_root_is_allowed(image_checker: ImageChecker) -> None:
    finding = _check_one(image_checker, "listings/../bank/logo_tessaro.png")
    assert finding.status == "ok"
    assert finding.matches[0].brand == "Tessaro"


def test_symlink_out_of_the_root_is_blocked(tmp_path: Path, hash_bank: HashBank) -> None:
    root = tmp_path / "images"
    root.mkdir()
    secret = tmp_path / "secret.png"
    Image.new("RGB", (64, 64), "red").save(secret)
    (root / "link.png").symlink_to(secret)
    checker = ImageChecker(LocalImageSource(root), hash_bank)
    assert _check_one(checker, "link.png").status == "blocked"


def test_extra_roots_are_readable(tmp_path: Path, paths: BundledPaths, hash_bank: HashBank) -> None:
    photo = tmp_path / "upload.png"
    Image.new("RGB", (128, 128), "navy").save(photo)
    with_extra = ImageChecker(LocalImageSource(paths.images, extra_roots=[tmp_path]), hash_bank)
    without_extra = ImageChecker(LocalImageSource(paths.images), hash_bank)
    assert _check_one(with_extra, str(photo)).status == "ok"
    assert _check_one(without_extra, str(photo)).status == "blocked"


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 10000x10000 1-bit PNG: 100 million pixels in about 12 KB."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    Image.new("1", (10_000, 10_000)).save(path)
    return path


def test_decompression_bomb_is_unreadable(bomb: Path, hash_bank: HashBank) -> None:
    assert bomb.stat().st_size < 100_000
    checker = ImageChecker(LocalImageSource(bomb.parent), hash_bank)
    finding = _check_one(checker, bomb.name)
    assert finding.status == "unreadable"
    assert finding.error is not None
    assert re.search(r"\d[\d,]* pixels", finding.error)
    assert "limit" in finding.error


def test_image_over_the_pixel_limit_is_refused_before_decoding(tmp_path: Path, hash_bank: HashBank) -> None:
    Image.new("1", (7_000, 7_000)).save(tmp_path / "big.png")
    finding = _check_one(ImageChecker(LocalImageSource(tmp_path), hash_bank), "big.png")
    assert finding.status == "unreadable"
    assert finding.error == "image is 7000x7000 pixels; the limit is 40,000,000"


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    (tmp_path / "huge.png").write_bytes(b"\0" * (MAX_IMAGE_BYTES + 1))
    with pytest.raises(ImageProblem) as info:
        LocalImageSource(tmp_path).read("huge.png")
    assert info.value.status == "unreadable"
    assert f"the limit is {MAX_IMAGE_BYTES:,}" in str(info.value)


def test_unavailable_source_makes_the_check_unavailable(hash_bank: HashBank) -> None:
    checker = ImageChecker(DownImageSource(), hash_bank)
    result = checker.check(ImageCheckInput(images=["listings/ceramic_mug.png"], seller_id="S00001"))
    assert result.status == "unavailable"
    assert result.error is not None
    assert "timed out" in result.error
    assert result.images == []


def test_tool_returns_image_check(image_checker: ImageChecker) -> None:
    tool = make_image_check_tool(image_checker)
    result = tool.invoke({"images": ["listings/watch_box_closeup.png"], "seller_id": "S10098"})
    assert isinstance(result, ImageCheck)
    assert result.images[0].matches[0].brand == "Orvelle Geneve"
    assert result.images[0].reused_by == ["S10108", "S10185"]
