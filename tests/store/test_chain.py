"""Tamper evidence: every kind of edit to a stored run is caught and the first bad record named."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import text

from auditgraph.store.chain import Verification, verify_run
from auditgraph.workflows import Auditor
from tests.conftest import load_case


def _verify(auditor: Auditor, run_id: str) -> Verification:
    store = auditor.store
    return verify_run(
        store.get_run(run_id), store.steps(run_id), store.decisions(run_id), store.reviews(run_id)
    )


def _sql(auditor: Auditor, statement: str, **params: object) -> None:
    with auditor.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text(statement), params)


@pytest.fixture
def reviewed(make_auditor: Callable[..., Auditor]) -> tuple[Auditor, str]:
    auditor = make_auditor()
    first = auditor.audit(load_case("ip_report_needs_specialist"))
    auditor.review(
        first.run_id, {"reviewer": "ann", "decision": "reject", "reason": "Fake.", "clause_ids": ["CIP-1"]}
    )
    return auditor, first.run_id


def test_clean_runs_verify_across_a_resume(reviewed: tuple[Auditor, str]) -> None:
    auditor, run_id = reviewed
    result = _verify(auditor, run_id)
    assert result.ok, result.problems
    assert result.head == auditor.store.get_run(run_id).head_hash
    assert result.steps == len(auditor.store.steps(run_id))


def test_an_altered_step_is_named(reviewed: tuple[Auditor, str]) -> None:
    auditor, run_id = reviewed
    target = next(s for s in auditor.store.steps(run_id) if s.node == "seller_history")
    _sql(auditor, "UPDATE trace_step SET error = 'edited' WHERE id = :id", id=target.id)
    result = _verify(auditor, run_id)
    assert not result.ok
    assert f"step seq {target.seq}" in result.problems[0] and "altered" in result.problems[0]


def test_an_inserted_step_is_caught(reviewed: tuple[Auditor, str]) -> None:
    auditor, run_id = reviewed
    _sql(auditor, "UPDATE trace_step SET seq = seq + 1000 WHERE run_id = :r AND seq >= 5", r=run_id)
    _sql(auditor, "UPDATE trace_step SET seq = seq - 999 WHERE run_id = :r AND seq >= 1000", r=run_id)
    forged = auditor.store.steps(run_id)[0].model_copy(update={"id": "step_forged000000000", "seq": 5})
    auditor.store.record_steps([forged])
    result = _verify(auditor, run_id)
    assert not result.ok and "step seq 5" in result.problems[0]


@pytest.mark.parametrize("where", ["middle", "end"])
def test_a_deleted_step_is_caught(reviewed: tuple[Auditor, str], where: str) -> None:
    auditor, run_id = reviewed
    steps = auditor.store.steps(run_id)
    victim = steps[6] if where == "middle" else steps[-1]
    _sql(auditor, "DELETE FROM trace_step WHERE id = :id", id=victim.id)
    result = _verify(auditor, run_id)
    assert not result.ok
    expected = "expected seq 7" if where == "middle" else "deleted from the end"
    assert expected in result.problems[0]


def test_reordered_steps_are_caught(reviewed: tuple[Auditor, str]) -> None:
    auditor, run_id = reviewed
    _sql(auditor, "UPDATE trace_step SET seq = -1 WHERE run_id = :r AND seq = 3", r=run_id)
    _sql(auditor, "UPDATE trace_step SET seq = 3 WHERE run_id = :r AND seq = 4", r=run_id)
    _sql(auditor, "UPDATE trace_step SET seq = 4 WHERE run_id = :r AND seq = -1", r=run_id)
    result = _verify(auditor, run_id)
    assert not result.ok and "step seq 3" in result.problems[0]


def test_an_altered_decision_or_review_is_caught(reviewed: tuple[Auditor, str]) -> None:
    auditor, run_id = reviewed
    _sql(auditor, "UPDATE decision SET decision = 'approve' WHERE run_id = :r", r=run_id)
    _sql(auditor, "UPDATE review SET reason = 'changed later' WHERE run_id = :r", r=run_id)
    problems = _verify(auditor, run_id).problems
    assert any("decision record" in p and "altered" in p for p in problems)
    assert any(p.startswith("review ") and "altered" in p for p in problems)


def test_a_deleted_review_is_caught(reviewed: tuple[Auditor, str]) -> None:
    auditor, run_id = reviewed
    _sql(auditor, "DELETE FROM review WHERE run_id = :r", r=run_id)
    assert any("0 review(s) but 1" in p for p in _verify(auditor, run_id).problems)


def test_cli_verify_all_fails_on_tampering(settings: object) -> None:
    from typer.testing import CliRunner

    from auditgraph.service.cli.app import app
    from tests.conftest import CASES

    runner = CliRunner()
    body = json.loads(runner.invoke(app, ["run", str(CASES / "switchblade_collector.json"), "--json"]).stdout)
    assert runner.invoke(app, ["trace", "verify", "--all"]).exit_code == 0
    from auditgraph.service.settings import Settings
    from auditgraph.service.wiring import open_store

    with open_store(Settings()).engine.begin() as conn:
        conn.execute(
            text("UPDATE trace_step SET node = 'edited' WHERE run_id = :r AND seq = 2"), {"r": body["run_id"]}
        )
    failed = runner.invoke(app, ["trace", "verify", body["run_id"]])
    assert failed.exit_code == 1 and "TAMPERED" in failed.output and "step seq 2" in failed.output
