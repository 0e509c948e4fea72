"""`auditgraph hold` and `auditgraph retention run` at the command line: each refusal one
line, exit 2, nothing written; a hold shows in the list and in the run's trace."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.workflows import Auditor
from tests.conftest import load_case

runner = CliRunner()


def _one_line_error(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    said = result.stderr.strip()
    assert "Traceback" not in result.output and len(said.splitlines()) == 1, said
    assert said.startswith("error: ") and expected in said and result.stdout == "", result.output


def test_hold_commands_refuse_bad_input_in_one_line(auditor: Auditor) -> None:
    run = auditor.audit(load_case("switchblade_collector"))
    _one_line_error(
        ["hold", "set", "case-nope", "--reason", "x", "--by", "legal"], "no run audited case 'case-nope'"
    )
    _one_line_error(["hold", "set", run.case_id, "--reason", "  ", "--by", "legal"], "the reason must be")
    _one_line_error(["hold", "release", run.case_id, "--reason", "x", "--by", "legal"], "is not held")

    held = runner.invoke(app, ["hold", "set", run.case_id, "--reason", "matter M-7", "--by", "legal"])
    assert held.exit_code == 0 and f"case {run.case_id} held" in held.stdout, held.output
    _one_line_error(
        ["hold", "set", run.case_id, "--reason", "again", "--by", "legal"], "is held already, by legal"
    )
    listed = json.loads(runner.invoke(app, ["hold", "list", "--json"]).stdout)
    assert [(h["case_id"], h["held_by"], h["reason"], h["active"]) for h in listed] == [
        (run.case_id, "legal", "matter M-7", True)
    ]
    trace = runner.invoke(app, ["trace", run.run_id])
    assert "legal hold set by legal: matter M-7" in trace.stdout, trace.output
    verified = runner.invoke(app, ["trace", "verify", run.run_id])
    assert verified.exit_code == 0, verified.output

    dry = runner.invoke(
        app, ["retention", "run", "--dry-run", "--json"], env={"AUDITGRAPH_RETENTION_CHECKPOINT_DAYS": "0"}
    )
    assert dry.exit_code == 0, dry.output
    assert [s["run_id"] for s in json.loads(dry.stdout)["skipped"]] == [run.run_id]


def test_retention_refuses_in_memory_checkpoints_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", "sqlite://")
    _one_line_error(["retention", "run"], "checkpoint retention needs SQLite or PostgreSQL checkpoints")
