"""A crashed run's stored case edited before `recover` (issue 11, finding 5).

The run's first chained step commits the digest of its case and is signed in the log of
run heads; `recover` refuses a case that does not match, and refuses a run whose record
does not verify, so an edited case is never audited again under the original run id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.store import MemoryAuditStore
from auditgraph.store.chain import digest, step_hash
from auditgraph.store.records import RunRecord
from auditgraph.store.signing import Signer
from auditgraph.workflows import Auditor, ReviewError
from tests.conftest import load_case

CASE = "counterfeit_watch_replica"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "AUDITGRAPH_DATABASE_URL": f"sqlite:///{tmp_path / 'audit.db'}",
        "AUDITGRAPH_SIGNING_KEY_FILE": str(tmp_path / "signing-key.pem"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    Signer(tmp_path / "signing-key.pem", create=True).key_id  # noqa: B018 - creates the key
    return values


def _crashed(auditor: Auditor) -> str:
    """A run whose process died right after it started: what `audit` has written by then."""
    case = load_case(CASE)
    run = RunRecord(
        run_id="run_crashed",
        case_id=case["case_id"],
        case_kind=case["kind"],
        agent=auditor.agent.kind,
        agent_version=auditor.agent.version,
        policy_version=auditor.policy_version,
    )
    auditor.recorder.start(run, case)
    return run.run_id


def _cli(env: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env=env)
    assert "Traceback" not in result.output
    return result


def _edit_case(auditor: Auditor, run_id: str) -> dict[str, Any]:
    case = load_case(CASE)
    case["listing"]["title"] = "Genuine watch, boxed"
    case["listing"]["description"] = "Bought new, receipt included."
    with auditor.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(
            text("UPDATE run SET case_json = :c WHERE run_id = :r"), {"c": json.dumps(case), "r": run_id}
        )
    return case


def test_the_start_record_commits_the_case(env: dict[str, str]) -> None:
    with open_auditor(Settings()) as auditor:
        run_id = _crashed(auditor)
        [first] = auditor.store.steps(run_id)
        assert (first.seq, first.kind) == (1, "start")
        assert first.output is not None and first.output["case_digest"] == digest(
            auditor.store.get_case(run_id)
        )
        assert [e["status"] for e in auditor.store.log_entries()] == ["running"]  # type: ignore[attr-defined]
    recovered = _cli(env, "recover", run_id)
    assert recovered.exit_code == 0, recovered.output
    assert _cli(env, "trace", "verify", run_id).exit_code == 0


def test_recover_refuses_an_edited_case(env: dict[str, str]) -> None:
    with open_auditor(Settings()) as auditor:
        run_id = _crashed(auditor)
        _edit_case(auditor, run_id)
    verify = _cli(env, "trace", "verify", run_id)
    assert verify.exit_code == 1 and "the case was edited" in verify.output, verify.output
    refused = _cli(env, "recover", run_id)
    assert refused.exit_code == 2, refused.output
    assert "not recovered" in refused.output and len(refused.output.strip().splitlines()) == 1
    with open_auditor(Settings()) as auditor:
        assert auditor.store.get_run(run_id).status == "running"
        assert len(auditor.store.steps(run_id)) == 1  # nothing was audited
        assert auditor.store.decisions(run_id) == []


def test_recover_refuses_an_edited_case_with_a_rechained_start_record(env: dict[str, str]) -> None:
    """The attacker also rewrites the start record's digest and its hash: the signed log
    still names the head the run started with."""
    with open_auditor(Settings()) as auditor:
        run_id = _crashed(auditor)
        case = _edit_case(auditor, run_id)
        [first] = auditor.store.steps(run_id)
        forged = first.model_copy(update={"output": {**first.output, "case_digest": digest(case)}})  # type: ignore[dict-item]
        forged = forged.model_copy(update={"hash": step_hash("", forged)})
        with auditor.store.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(
                text("UPDATE trace_step SET output = :o, hash = :h WHERE id = :i"),
                {"o": json.dumps(forged.output), "h": forged.hash, "i": first.id},
            )
            conn.execute(
                text("UPDATE run SET head_hash = :h WHERE run_id = :r"), {"h": forged.hash, "r": run_id}
            )
    refused = _cli(env, "recover", run_id)
    assert refused.exit_code == 2 and "does not verify" in refused.output, refused.output
    assert "chain was rewritten" in refused.output


def test_the_runner_checks_the_case_without_a_store_check(make_auditor: Any) -> None:
    """Without an integrity check wired (any store), recovery still compares the case."""
    auditor: Auditor = make_auditor()
    auditor.store = MemoryAuditStore()  # type: ignore[assignment]
    auditor.recorder.store = auditor.store
    run_id = _crashed(auditor)
    auditor.store._cases[run_id] = {**load_case(CASE), "case_id": "other"}  # type: ignore[attr-defined]
    with pytest.raises(ReviewError, match="is not the one its start record committed"):
        auditor.recover(run_id)


def test_a_run_without_a_start_record_is_not_recovered(make_auditor: Any) -> None:
    auditor: Auditor = make_auditor()
    run_id = _crashed(auditor)
    with auditor.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("DELETE FROM trace_step WHERE run_id = :r"), {"r": run_id})
    with pytest.raises(ReviewError, match="no start record"):
        auditor.recover(run_id)
