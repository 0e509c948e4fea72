"""`auditgraph screen train` and `screen eval` through the command line, on a small corpus."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from tests.conftest import ROOT


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "policy", data / "policy")
    by_label: dict[str, list[str]] = defaultdict(list)
    for line in (ROOT / "data" / "corpus" / "corpus.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line)
        by_label[item["area"] or "benign"].append(line)
    (data / "corpus").mkdir()
    # Every area's first 30 lines and 300 benign ones: several templates each, quick to fit.
    small = [line for label, lines in by_label.items() for line in lines[: 300 if label == "benign" else 30]]
    (data / "corpus" / "corpus.jsonl").write_text("\n".join(small) + "\n", "utf-8")
    monkeypatch.setenv("AUDITGRAPH_DATA_DIR", str(data))
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", f"sqlite:///{tmp_path / 'audit.db'}")
    monkeypatch.setenv("AUDITGRAPH_SCREEN_EMBEDDER", "none")
    return data


def test_train_writes_a_version_with_thresholds_and_eval_reads_it_back(env: Path) -> None:
    runner = CliRunner()
    trained = runner.invoke(app, ["screen", "train", "--version", "t-1", "--json"])
    assert trained.exit_code == 0, trained.output
    result = json.loads(trained.stdout)
    manifest = json.loads((env / "screen" / "t-1" / "manifest.json").read_text())
    assert manifest["sha256"] == result["sha256"] and manifest["embedder"] == "none"
    assert 0 <= result["approve_below"] <= result["decide_at"] <= 1
    assert result["validation"]["roc_auc"] > 0.8 and result["trained_on"]["reviews"] == 0
    assert result["validation"]["false_approve_rate"] <= 0.02

    measured = runner.invoke(app, ["screen", "eval", "--version", "t-1", "--json"])
    assert measured.exit_code == 0, measured.output
    report = json.loads(measured.stdout)["report"]
    assert report["roc_auc"] == pytest.approx(result["validation"]["roc_auc"])
    assert report["approve_below"] == result["approve_below"]

    again = runner.invoke(app, ["screen", "train", "--version", "t-1"])
    assert again.exit_code == 2 and "already exists" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["screen", "train", "--version", "../up"], "use 1 to 40 letters"),
        (["screen", "train", "--version", "x", "--corpus", "/nonexistent.jsonl"], "cannot read the corpus"),
        (["screen", "eval", "--version", "missing"], "no readable screen"),
        (["screen", "eval", "--version", "../up"], "use 1 to 40 letters"),
    ],
)
def test_bad_input_is_one_line(env: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output
