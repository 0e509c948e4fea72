"""The committed eval datasets load, cover what they promise, and are what the generator writes."""

from __future__ import annotations

import subprocess
import sys

from auditgraph.evals.dataset import DATASETS, load_dataset
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
