"""Erasing a seller's personal data: gone from runs and checkpoints, decisions kept, the chain
still verifies, and an edit after the erasure is still caught."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.store.chain import Verification, verify_run
from auditgraph.workflows import Auditor, erase_seller
from tests.conftest import load_case

PHONE = "+1 555 014 2377"
SELLER = "S00010"  # off_platform_whatsapp's seller


def _verify(auditor: Auditor, run_id: str) -> Verification:
    store = auditor.store
    return verify_run(
        store.get_run(run_id), store.steps(run_id), store.decisions(run_id), store.reviews(run_id)
    )


def _dump(auditor: Auditor, run_id: str) -> str:
    steps = auditor.store.steps(run_id)
    return json.dumps([s.model_dump(mode="json") for s in steps]) + json.dumps(auditor.store.get_case(run_id))


def _erase(auditor: Auditor, **options: object) -> object:
    name = auditor.toolset.sellers.get(SELLER).display_name  # type: ignore[union-attr]
    return erase_seller(
        auditor.store,
        auditor.graph.checkpointer,  # type: ignore[arg-type]
        SELLER,
        reason="DSR-1042",
        requested_by="privacy-office",
        names=(name,),
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def audited(make_auditor: Callable[..., Auditor]) -> tuple[Auditor, str, str]:
    """A run of the seller to erase, with an e-mail added, and a run of another seller."""
    auditor = make_auditor()
    case = load_case("off_platform_whatsapp")
    case["listing"]["description"] += " Or mail jo.seller@gmail.com."
    mine = auditor.audit(case)
    other = auditor.audit(load_case("switchblade_collector"))
    return auditor, mine.run_id, other.run_id


def test_erasure_removes_personal_data_and_keeps_decisions(audited: tuple[Auditor, str, str]) -> None:
    auditor, run_id, other_id = audited
    store = auditor.store
    name = auditor.toolset.sellers.get(SELLER).display_name  # type: ignore[union-attr]
    assert PHONE in _dump(auditor, run_id) and name in _dump(auditor, run_id)
    decisions = store.decisions(run_id)
    other_before = store.steps(other_id)
    config = {"configurable": {"thread_id": run_id}}
    assert auditor.graph.get_state(config).values  # the checkpoint holds the raw case

    report = _erase(auditor)

    assert [(r.run_id, r.outcome) for r in report.runs] == [(run_id, "erased")]  # type: ignore[attr-defined]
    dumped = _dump(auditor, run_id)
    for secret in (PHONE, "jo.seller@gmail.com", name):
        assert secret not in dumped, secret
    assert "[phone]" in json.dumps(store.get_case(run_id)) and "[name]" in dumped
    assert not auditor.graph.get_state(config).values  # checkpoints deleted
    assert store.decisions(run_id) == decisions
    erasure = store.steps(run_id)[-1]
    assert erasure.kind == "erasure" and erasure.input["requested_by"] == "privacy-office"
    assert store.get_run(run_id).head_hash == erasure.hash
    result = _verify(auditor, run_id)
    assert result.ok, result.problems
    assert store.steps(other_id) == other_before  # another seller's run is untouched


def test_a_second_erasure_changes_nothing(audited: tuple[Auditor, str, str]) -> None:
    auditor, run_id, _ = audited
    _erase(auditor)
    steps = auditor.store.steps(run_id)
    report = _erase(auditor)
    assert [r.outcome for r in report.runs] == ["unchanged"]  # type: ignore[attr-defined]
    assert auditor.store.steps(run_id) == steps


def test_a_dry_run_writes_nothing(audited: tuple[Auditor, str, str]) -> None:
    auditor, run_id, _ = audited
    before = _dump(auditor, run_id)
    report = _erase(auditor, dry_run=True)
    assert [r.outcome for r in report.runs] == ["erased"]  # type: ignore[attr-defined]
    assert _dump(auditor, run_id) == before


def test_full_text_removes_every_text_the_seller_wrote(audited: tuple[Auditor, str, str]) -> None:
    auditor, run_id, _ = audited
    _erase(auditor, full_text=True)
    dumped = _dump(auditor, run_id)
    assert "over-ear headphones with 40 hour battery" not in dumped
    assert "[redacted: " in dumped
    assert _verify(auditor, run_id).ok


def test_unmasked_records_are_erased_too(
    make_auditor: Callable[..., Auditor],
) -> None:
    auditor = make_auditor()
    auditor.recorder.mask_personal_data = False
    run_id = auditor.audit(load_case("off_platform_whatsapp")).run_id
    assert PHONE in json.dumps([s.model_dump(mode="json") for s in auditor.store.steps(run_id)])
    report = _erase(auditor)
    assert report.runs[0].steps_changed > 3  # type: ignore[attr-defined]
    assert PHONE not in _dump(auditor, run_id)
    assert _verify(auditor, run_id).ok


def _sql(auditor: Auditor, statement: str, **params: object) -> None:
    with auditor.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text(statement), params)


def test_an_erased_step_edited_afterwards_is_caught(audited: tuple[Auditor, str, str]) -> None:
    auditor, run_id, _ = audited
    _erase(auditor)
    erasure = auditor.store.steps(run_id)[-1]
    target_id, entry = next(iter(erasure.output["steps"].items()))  # type: ignore[index]
    _sql(auditor, "UPDATE trace_step SET error = 'edited' WHERE id = :id", id=target_id)
    result = _verify(auditor, run_id)
    assert not result.ok
    assert f"step seq {entry['seq']}" in result.problems[0]
    assert "after personal data was erased" in result.problems[0]


def test_an_edited_or_deleted_erasure_record_is_caught(audited: tuple[Auditor, str, str]) -> None:
    auditor, run_id, _ = audited
    _erase(auditor)
    erasure = auditor.store.steps(run_id)[-1]
    _sql(auditor, "UPDATE trace_step SET input = '{}' WHERE id = :id", id=erasure.id)
    result = _verify(auditor, run_id)
    assert not result.ok and f"step seq {erasure.seq}" in result.problems[0]
    _sql(auditor, "DELETE FROM trace_step WHERE id = :id", id=erasure.id)
    result = _verify(auditor, run_id)
    assert not result.ok  # without its record, the erased step no longer matches its hash


def test_open_runs_are_left_and_reported(make_auditor: Callable[..., Auditor]) -> None:
    auditor = make_auditor()
    case = load_case("injection_in_description")
    case["listing"]["seller_id"] = SELLER
    case["listing"]["description"] += f" WhatsApp {PHONE}"
    outcome = auditor.audit(case)
    assert outcome.status == "awaiting_review"
    report = _erase(auditor)
    assert [r.outcome for r in report.open_runs] == ["open"]  # type: ignore[attr-defined]
    assert auditor.graph.get_state({"configurable": {"thread_id": outcome.run_id}}).values
    auditor.review(outcome.run_id, {"reviewer": "ann", "decision": "reject", "reason": "Counterfeit."})
    report = _erase(auditor)
    assert [r.outcome for r in report.runs] == ["erased"]  # type: ignore[attr-defined]
    assert PHONE not in _dump(auditor, outcome.run_id)
    result = _verify(auditor, outcome.run_id)
    assert result.ok, result.problems


def test_the_erase_command(settings: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(load_case("off_platform_whatsapp")))
    assert runner.invoke(app, ["run", str(case_file)]).exit_code == 0
    refused = runner.invoke(app, ["erase", SELLER, "--reason", " ", "--by", "x"])
    assert refused.exit_code == 2 and "--reason" in refused.output
    for args in (
        [SELLER, "--reason", "x" * 501, "--by", "x"],
        [SELLER, "--reason", "DSR\x1b[31m", "--by", "x"],
        ["S" * 201, "--reason", "DSR-7", "--by", "x"],
    ):
        bad = runner.invoke(app, ["erase", *args])
        assert bad.exit_code == 2 and "printable characters" in bad.output, args
    done = runner.invoke(app, ["erase", SELLER, "--reason", "DSR-7", "--by", "privacy-office", "--json"])
    assert done.exit_code == 0, done.output
    [entry] = json.loads(done.output)["runs"]
    assert entry["outcome"] == "erased" and entry["case_changed"] is True
    verified = runner.invoke(app, ["trace", "verify", "--all"])
    assert verified.exit_code == 0 and "1 of 1 run(s) verify" in verified.output
    shown = runner.invoke(app, ["trace", entry["run_id"]])
    assert "asked by privacy-office: DSR-7" in shown.output


def test_erasure_on_postgres_passes_the_append_only_trigger(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app runs as the runtime role: it may not touch trace content at all, even with
    the old erasure flag set, yet erases through `auditgraph_erase`."""
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", postgres_url)
    with open_auditor(Settings()) as auditor:
        run_id = auditor.audit(load_case("off_platform_whatsapp")).run_id
        step = next(s for s in auditor.store.steps(run_id) if s.node == "seller_history")
        with pytest.raises(DBAPIError, match="permission denied"):
            _sql(auditor, "UPDATE trace_step SET error = 'x' WHERE id = :id", id=step.id)
        # The erasure flag opens nothing for the runtime role.
        engine = auditor.store.engine  # type: ignore[attr-defined]
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
            conn.execute(text("SET LOCAL auditgraph.erasure = 'on'"))
            conn.execute(text("UPDATE trace_step SET hash = 'x' WHERE id = :id"), {"id": step.id})
        report = _erase(auditor)
        assert [r.outcome for r in report.runs] == ["erased"]  # type: ignore[attr-defined]
        assert PHONE not in _dump(auditor, run_id)
        result = _verify(auditor, run_id)
        assert result.ok, result.problems
        with pytest.raises(DBAPIError, match="permission denied"):
            _sql(auditor, "DELETE FROM trace_step WHERE id = :id", id=step.id)


NAME = "Jan de Vries"
SEEDED = {
    "name": NAME,
    "email": "jan.devries@example.nl",
    "second email": "verkoop.jdv@gmail.com",
    "Dutch phone": "+31 6 4821 7730",
    "French phone": "+33 6 12 34 56 78",
    "British phone": "+44 7700 900123",
    "German phone": "+49 151 23456789",
    "IBAN": "NL91 ABNA 0417 1643 00",
    "address": "Keizersgracht 417",
}


def _forms(value: str) -> set[bytes]:
    """The value as written, and its digits-and-letters run together (a normalised copy)."""
    compact = "".join(c for c in value if c.isalnum())
    return {value.encode(), value.lower().encode(), compact.encode()}


def test_no_seeded_value_is_left_in_the_raw_database_files(auditor: Auditor, tmp_path: Path) -> None:
    # A case naming a person, with e-mails, phones of four regions, an IBAN and an Amsterdam
    # address; a reviewer quoting the phone and the seller's name; then the seller erased.
    # (A name the reviewer writes that is neither the seller's display name nor a pattern
    # stays in the review: reviews and decisions are kept as written.)
    case = load_case("injection_in_description")
    seller = case["listing"]["seller_id"]
    case["listing"]["description"] += (
        f" Ask for {NAME}: {SEEDED['email']} or {SEEDED['second email']}, call {SEEDED['Dutch phone']},"
        f" {SEEDED['French phone']}, {SEEDED['British phone']} or {SEEDED['German phone']}."
        f" Pay to IBAN {SEEDED['IBAN']}, collect at {SEEDED['address']}, Amsterdam."
    )
    paused = auditor.audit(case)
    assert paused.status == "awaiting_review"
    display_name = auditor.toolset.sellers.get(seller).display_name  # type: ignore[union-attr]
    reason = f"{display_name} confirmed by phone on {SEEDED['Dutch phone']} that the claim stands"
    auditor.review(paused.run_id, {"reviewer": "alice", "decision": "reject", "reason": reason})
    for review in auditor.store.reviews(paused.run_id):
        assert display_name not in review.reason and SEEDED["Dutch phone"] not in review.reason
    statement = auditor.store.decisions(paused.run_id)[-1].statement_of_reasons
    assert display_name not in statement and SEEDED["Dutch phone"] not in statement

    report = erase_seller(
        auditor.store,
        auditor.graph.checkpointer,  # type: ignore[arg-type]
        seller,
        reason="DSR-2044",
        requested_by="privacy-office",
        names=(NAME, display_name),
    )

    assert [r.outcome for r in report.runs] == ["erased"]
    assert _verify(auditor, paused.run_id).ok
    files = [p for p in tmp_path.iterdir() if p.name.startswith("audit.db")]
    assert any(p.name == "audit.db" for p in files)
    raw = b"".join(p.read_bytes() for p in files)
    left = {label for label, value in SEEDED.items() if any(form in raw for form in _forms(value))}
    assert not left, f"left in {[p.name for p in files]}: {sorted(left)}"
