"""`auditgraph export sor` over a real SQLite database: batches of at most 100 statements
that the local schema validator accepts, and one clear line for bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from auditgraph.service.cli import export
from auditgraph.service.cli.app import app
from auditgraph.service.cli.export import batch_lines
from auditgraph.service.settings import Settings
from auditgraph.tools import BundledPaths
from auditgraph.tools.dsa_sor import statement_problems
from auditgraph.tools.policy_pack import PolicyLibrary
from tests.conftest import CASES, DATA

runner = CliRunner()
TAXONOMY = PolicyLibrary(BundledPaths(DATA).policy_dir).taxonomy


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def _audit(*names: str) -> None:
    for name in names:
        assert _invoke("run", str(CASES / f"{name}.json")).exit_code == 0


def test_export_writes_one_valid_statement_per_restricting_run(settings: Settings) -> None:
    _audit("switchblade_collector", "kitchen_knife_set", "off_platform_whatsapp")
    result = _invoke("export", "sor")
    assert result.exit_code == 0, result.output
    [batch] = [json.loads(text) for text in result.stdout.splitlines()]
    assert isinstance(batch, list) and len(batch) == 2
    assert {s["decision_visibility"][0] for s in batch} == {
        "DECISION_VISIBILITY_CONTENT_REMOVED",
        "DECISION_VISIBILITY_CONTENT_DEMOTED",
    }
    today = datetime.now(UTC).date()
    assert TAXONOMY is not None
    assert all(statement_problems(s, taxonomy=TAXONOMY, today=today) == [] for s in batch)
    assert len({s["puid"] for s in batch}) == 2


def test_export_to_a_file_and_since(settings: Settings, tmp_path: Path) -> None:
    _audit("switchblade_collector")
    target = tmp_path / "sor.jsonl"
    result = _invoke("export", "sor", "--out", str(target))
    assert result.exit_code == 0, result.output
    assert "wrote 1 statement in 1 batch to" in result.output
    assert len(json.loads(target.read_text("utf-8").strip())) == 1
    later = _invoke("export", "sor", "--since", "2099-01-01")
    assert later.exit_code == 0 and later.stdout == ""
    earlier = _invoke("export", "sor", "--since", "2020-01-01T00:00:00+00:00")
    assert earlier.exit_code == 0 and len(json.loads(earlier.stdout)) == 1


def test_an_empty_database_exports_nothing(settings: Settings) -> None:
    result = _invoke("export", "sor")
    assert result.exit_code == 0 and result.stdout == ""


def test_bad_input_is_one_line_and_exit_2(settings: Settings, tmp_path: Path) -> None:
    bad = _invoke("export", "sor", "--since", "last tuesday")
    assert bad.exit_code == 2
    assert "--since 'last tuesday' is not an ISO date" in bad.output
    assert "Traceback" not in bad.output
    _audit("switchblade_collector")
    unwritable = _invoke("export", "sor", "--out", str(tmp_path / "missing" / "sor.jsonl"))
    assert unwritable.exit_code == 2
    assert "cannot write" in unwritable.output and "Traceback" not in unwritable.output


def test_more_than_one_hundred_statements_are_split_into_batches() -> None:
    lines = batch_lines([{"puid": f"p{i}"} for i in range(205)]).splitlines()
    assert [len(json.loads(text)) for text in lines] == [100, 100, 5]


def test_a_statement_that_breaks_the_schema_stops_the_export_with_exit_1(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> Iterator[dict[str, Any]]:
        yield {"puid": "case 1", "decision_facts": "x"}

    monkeypatch.setattr(export, "restricting_statements", broken)
    result = _invoke("export", "sor")
    assert result.exit_code == 1
    assert "statement 'case 1' breaks the schema" in result.output
    assert "'puid' may hold only" in result.output and "Traceback" not in result.output
    assert result.stdout == ""
