"""The screen's training corpus: built from its sources, broad enough, and apart from the eval suites."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT

CORPUS = ROOT / "data" / "corpus"
BUILD = CORPUS / "build.py"
AREAS = json.loads((CORPUS / "schema" / "source.schema.json").read_text())["$defs"]["area"]["enum"]


def _lines() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "corpus.jsonl").read_text("utf-8").splitlines()]


def _build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, BUILD, *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_the_committed_corpus_is_what_its_sources_make(tmp_path: Path) -> None:
    built = _build("--out", str(tmp_path / "corpus.jsonl"))
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "corpus.jsonl").read_bytes() == (CORPUS / "corpus.jsonl").read_bytes()
    assert _build("--check").returncode == 0


def test_every_area_has_its_share_in_several_languages_beside_more_benign_listings() -> None:
    lines = _lines()
    labels = Counter(line["label"] for line in lines)
    assert labels["violating"] >= 3000 and labels["benign"] >= 3000
    by_area = Counter(line["area"] for line in lines if line["area"])
    assert set(by_area) == set(AREAS) and min(by_area.values()) >= 100
    assert sum(line["language"] != "en" for line in lines) / len(lines) >= 0.15
    assert sum(bool(line["evasion"]) for line in lines if line["area"]) / labels["violating"] >= 0.25
    lookalikes = Counter(line["lookalike_of"] for line in lines if line["lookalike_of"])
    assert sum(lookalikes.values()) / labels["benign"] >= 0.25 and lookalikes["off_platform"] >= 100
    assert all(line["provenance"]["source"].startswith("data/corpus/sources/") for line in lines)
    assert len({line["id"] for line in lines}) == len(lines)


def test_no_eval_case_is_in_the_training_corpus() -> None:
    corpus = {line["title"].casefold() for line in _lines()}
    evals = [
        json.loads(line)["input"].get("listing", {}).get("title", "").casefold()
        for path in (ROOT / "evals" / "datasets").glob("*.jsonl")
        for line in path.read_text("utf-8").splitlines()
    ]
    shared = [title for title in evals if title and title in corpus]
    assert shared == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("{drug}", "templates[0].title: no slot named 'drug' in this file"),
        ("x" * 150, "templates[0].title: a title of 150 characters (at most 140)"),
    ],
)
def test_a_bad_source_fails_with_one_line_naming_file_line_and_field(
    tmp_path: Path, change: str, message: str
) -> None:
    source = tmp_path / "violating" / "weapons.yaml"
    source.parent.mkdir()
    source.write_text(
        "area: weapons\nlabel: violating\nauthor: pass-1\nbasis: Marketplaces prohibit switchblades.\n"
        "slots:\n  kind: [otf, gravity]\ntemplates:\n  - id: t\n    language: en\n    category: tools\n"
        f'    count: 1\n    title: "{change}"\n'
    )
    sys.path.insert(0, str(CORPUS))
    try:
        import build  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(CORPUS))
    with pytest.raises(build.SourceError) as raised:
        build.build(tmp_path)
    assert str(raised.value).startswith(f"{source}:12: {message}")
    assert "\n" not in str(raised.value)


def test_the_corpus_speaks_of_the_policy_packs_areas() -> None:
    from auditgraph.tools.case import POLICY_AREAS

    assert sorted(AREAS) == sorted(POLICY_AREAS)
