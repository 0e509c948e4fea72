"""The committed eval datasets load, cover what they promise, and are what the generator writes;
broken sources and dataset lines fail with one line naming the file, the line and the field."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from auditgraph.evals.dataset import DATASETS, DatasetError, load_dataset
from auditgraph.evals.datasets.recipes import core_lines
from auditgraph.evals.datasets.sources import SOURCES, SourceError, load_sources
from auditgraph.tools.case import POLICY_AREAS
from tests.conftest import ROOT

GENERATED = ("core.jsonl", "hard.jsonl", "general.jsonl", "case.schema.json")


CORE_AREAS = (
    "counterfeit_ip",
    "weapons",
    "drugs",
    "wildlife",
    "hazardous_goods",
    "regulated_health",
    "misleading_claims",
    "off_platform",
    "abusive_pricing",
    "adult",
    "recalled_products",
)
"""The areas the core suite was written for: the eleven of policy pack 2026.11.1. The
areas pack 2026.12.1 added are left to a suite written for them."""


def test_core_suite_covers_every_area_it_was_written_for_every_kind_and_outcome() -> None:
    cases = load_dataset(DATASETS / "core.jsonl")
    assert len(cases) >= 300
    assert {c.expected.area for c in cases if c.violating} == set(CORE_AREAS)
    assert set(CORE_AREAS) < set(POLICY_AREAS)
    assert {c.input["kind"] for c in cases} == {"listing_review", "seller_appeal", "ip_report"}
    assert {c.expected.decision for c in cases} == {"approve", "reject", "restrict", "escalate"}
    tags = {t for c in cases for t in c.metadata.get("tags", [])}
    assert {"benign_lookalike", "obfuscated", "injection", "contact_in_image", "price_only"} <= tags


def test_the_generator_checks_the_areas_this_test_names() -> None:
    assert tuple(load_sources().vocabulary["core_areas"]) == CORE_AREAS


def test_hard_suite_is_hand_written() -> None:
    cases = load_dataset(DATASETS / "hard.jsonl")
    assert len(cases) == 30
    assert all(c.metadata["source"] == "hand" for c in cases)


def test_general_suite_is_written_apart_and_covers_every_area_of_the_pack() -> None:
    cases = load_dataset(DATASETS / "general.jsonl")
    assert len(cases) == 240
    assert all(c.metadata["source"] == "general" for c in cases)
    enforced = Counter(c.expected.area for c in cases if c.violating)
    assert set(enforced) == set(POLICY_AREAS) and min(enforced.values()) >= 4
    assert {c.input["kind"] for c in cases} == {"listing_review", "seller_appeal", "ip_report"}
    assert {c.expected.decision for c in cases} == {"approve", "reject", "restrict", "escalate"}
    languages = Counter(c.metadata["language"] for c in cases)
    assert len(languages) >= 10 and languages["en"] < len(cases) * 0.6
    tags = Counter(t for c in cases for t in c.metadata.get("tags", []))
    for tag in ("evasion", "multilingual", "benign_lookalike", "obfuscated", "homoglyph", "zero_width"):
        assert tags[tag] > 0, tag


def test_general_suite_keeps_invisible_characters_visible_as_escapes() -> None:
    text = (DATASETS / "general.jsonl").read_text("utf-8")
    assert "\u200b" not in text and "\\u200b" in text
    cases = load_dataset(DATASETS / "general.jsonl")
    assert any("\u200b" in c.input["listing"]["description"] for c in cases)


def _generate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DATASETS / "generate.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    written = _generate("--out", str(tmp_path))
    assert written.returncode == 0, written.stdout + written.stderr
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (DATASETS / name).read_bytes(), f"{name} differs"
    check = _generate("--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.splitlines()[-1] == "check: ok"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A copy of the generator's sources to break."""
    return Path(shutil.copytree(SOURCES, tmp_path / "sources"))


def _break(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in the file with `new`; the 1-based line where it was."""
    text = path.read_text("utf-8")
    at = text.index(old)
    path.write_text(text[:at] + new + text[at + len(old) :], "utf-8")
    return text.count("\n", 0, at) + 1


def test_a_bad_source_yaml_fails_with_one_line_naming_file_line_and_field(sources: Path) -> None:
    path = sources / "lookalikes.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    fourth = [n for n, text in enumerate(lines) if text.startswith("  - title:")][3]  # items[3]
    price = next(n for n in range(fourth, len(lines)) if lines[n].startswith("    price:"))
    lines[price] = '    price: ["cheap", 35]\n'
    path.write_text("".join(lines), "utf-8")
    with pytest.raises(SourceError) as raised:
        load_sources(sources)
    assert str(raised.value) == f"{path}:{price + 1}: items[3].price[0]: expected a number"


@pytest.mark.parametrize(
    ("name", "old", "new", "shift", "field", "problem"),
    [
        # A missing field is reported where its parent starts: the case, two lines up.
        ("hard_cases.yaml", '    received_at: "2026-11-20T10:15:00+01:00"\n', "", -2, "cases[0].received_at", "is missing"),
        ("benign_items.yaml", "    category: home\n", "    category: home\n    colour: red\n", 1, "items[0].colour",
         "is not a field this place takes"),
        ("families/02_weapons.yaml", "    count: 2\n", "    count: two\n", 0, "families[0].count", "expected a whole number"),
    ],
)  # fmt: skip
def test_source_errors_name_the_field(
    sources: Path, name: str, old: str, new: str, shift: int, field: str, problem: str
) -> None:
    path = sources / name
    line = _break(path, old, new) + shift
    with pytest.raises(SourceError) as raised:
        load_sources(sources)
    assert str(raised.value) == f"{path}:{line}: {field}: {problem}"


def test_a_recipe_that_cannot_be_followed_names_its_family(sources: Path) -> None:
    path = sources / "families" / "03_drugs.yaml"
    line = _break(path, '      title: "{offer.title}"', '      title: "{ofer.title}"')
    with pytest.raises(SourceError) as raised:
        core_lines(load_sources(sources))
    family = _break(path, "  - name: drg1_controlled", "  - name: drg1_controlled")
    assert line < family
    assert str(raised.value) == (
        f"{path}:{family}: families[0]: drg1_controlled: case 0: unknown name 'ofer' (in 'ofer.title')"
    )


def test_a_bad_dataset_line_fails_with_one_line_naming_file_line_and_field(tmp_path: Path) -> None:
    first, second = (DATASETS / "core.jsonl").read_text("utf-8").splitlines()[:2]
    broken = json.loads(second)
    broken["input"]["listing"]["images"] = ["listings/desk_lamp.png", 7]
    path = tmp_path / "suite.jsonl"
    path.write_text(first + "\n" + json.dumps(broken) + "\n", "utf-8")
    with pytest.raises(DatasetError) as raised:
        load_dataset(path)
    assert str(raised.value) == f"{path}:2: input.listing.images[1]: Input should be a valid string"
    broken = json.loads(second)
    broken["expected"]["decision"] = "maybe"
    path.write_text("\n" + first + "\n" + json.dumps(broken) + "\n", "utf-8")
    with pytest.raises(DatasetError) as raised:
        load_dataset(path)
    assert str(raised.value) == (
        f"{path}:3: expected.decision: Input should be 'approve', 'reject', 'restrict' or 'escalate'"
    )
