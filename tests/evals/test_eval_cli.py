"""`auditgraph eval` end to end: run, check against a baseline, compare, import reviews."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from tests.evals.test_evals import _examples

runner = CliRunner()


def _suite(tmp_path: Path) -> Path:
    path = tmp_path / "examples.jsonl"
    path.write_text("".join(c.model_dump_json() + "\n" for c in _examples()))
    return path


def test_eval_run_check_compare(settings: Settings, tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    first = runner.invoke(app, ["eval", "run", "--suite", str(suite), "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    for name in ("report.json", "report.md", "junit.xml", "report.html", "results.jsonl"):
        assert (tmp_path / "a" / name).exists()
    baseline = tmp_path / "baseline.json"
    assert (
        runner.invoke(
            app, ["eval", "check", str(tmp_path / "a"), "--baseline", str(baseline), "--update"]
        ).exit_code
        == 0
    )
    passed = runner.invoke(app, ["eval", "check", str(tmp_path / "a"), "--baseline", str(baseline)])
    assert passed.exit_code == 0 and "gate passed" in passed.output
    worse = json.loads(baseline.read_text())
    worse["metrics"]["citation_precision"] = 1.5  # a baseline no run can meet
    baseline.write_text(json.dumps(worse))
    failed = runner.invoke(app, ["eval", "check", str(tmp_path / "a"), "--baseline", str(baseline)])
    assert failed.exit_code == 1 and "regression gate failed on citation_precision" in failed.output
    runner.invoke(app, ["eval", "run", "--suite", str(suite), "--out", str(tmp_path / "b")])
    compared = runner.invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert compared.exit_code == 0 and "No case changed correctness." in compared.output


def test_eval_run_refuses_a_bad_dataset(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json}\n")
    result = runner.invoke(app, ["eval", "run", "--suite", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:1: (column 2): not valid JSON" in result.output


def test_import_reviews_needs_reviews(settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "import-reviews", "--out", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 2 and "no reviewed runs" in result.output
