"""The committed eval datasets load, cover what they promise, and are what the generator writes;
a broken dataset line fails with one line naming the file, the line and the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from auditgraph.evals.dataset import DATASETS, DatasetError, load_dataset
from auditgraph.tools.case import POLICY_AREAS
from tests.conftest import ROOT


def test_core_suite_covers_every_area_kind_and_outcome() -> None:
    cases = load_dataset(DATASETS / "core.jsonl")
    assert len(cases) >= 300
    assert {c.expected.area for c in cases if c.violating} == set(POLICY_AREAS)
    assert {c.input["kind"] for c in cases} == {"listing_review", "seller_appeal", "ip_report"}
    assert {c.expected.decision for c in cases} == {"approve", "reject", "restrict", "escalate"}
    tags = {t for c in cases for t in c.metadata.get("tags", [])}
    assert {"benign_lookalike", "obfuscated", "injection", "contact_in_image", "price_only"} <= tags


def test_hard_suite_is_hand_written() -> None:
    cases = load_dataset(DATASETS / "hard.jsonl")
    assert len(cases) == 30
    assert all(c.metadata["source"] == "hand" for c in cases)


def test_the_generator_reproduces_the_committed_files() -> None:
    check = subprocess.run(
        [sys.executable, str(DATASETS / "generate.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


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
