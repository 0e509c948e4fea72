"""With sensitive data off, seller text leaves the trace and the run record; policy text stays."""

from __future__ import annotations

import json

import pytest

from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.store.chain import verify_run
from tests.conftest import load_case


def test_sensitive_text_is_replaced_by_its_length(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITGRAPH_INCLUDE_SENSITIVE", "false")
    case = load_case("supplement_cure_claims")
    secret = "cures cancer and treats diabetes"
    assert secret in case["listing"]["description"]
    with open_auditor(Settings()) as auditor:
        outcome = auditor.audit(case)
        steps = auditor.store.steps(outcome.run_id)
        stored_case = auditor.store.get_case(outcome.run_id)
    dumped = json.dumps([s.model_dump(mode="json") for s in steps])
    assert secret not in dumped
    assert secret not in json.dumps(stored_case)
    assert "[redacted: " in dumped
    retrieval = next(s for s in steps if s.node == "policy_retrieval")
    assert all(not c["title"].startswith("[redacted") for c in retrieval.output["clauses"])
    assert len(steps) > 15  # every step is kept


def _audit_whatsapp_case() -> tuple[str, list, list, dict | None]:
    with open_auditor(Settings()) as auditor:
        outcome = auditor.audit(load_case("off_platform_whatsapp"))
        store = auditor.store
        steps = store.steps(outcome.run_id)
        decisions = store.decisions(outcome.run_id)
        result = verify_run(store.get_run(outcome.run_id), steps, decisions, store.reviews(outcome.run_id))
        assert result.ok, result.problems
        return outcome.run_id, steps, decisions, store.get_case(outcome.run_id)


def test_personal_data_is_masked_in_the_trace_and_records(settings: Settings) -> None:
    phone = "+1 555 014 2377"
    assert phone in load_case("off_platform_whatsapp")["listing"]["description"]
    _, steps, decisions, stored_case = _audit_whatsapp_case()
    dumped = json.dumps([s.model_dump(mode="json") for s in steps])
    assert phone not in dumped and "555 014" not in dumped
    assert "WhatsApp me at [phone] for a better price" in dumped  # the rest of the text stays
    screen = next(s for s in steps if s.node == "text_screen" and s.kind == "tool")
    assert any(f["term"] == "phone" for f in screen.output["findings"])  # the finding stays
    assert [d.decision for d in decisions] == ["restrict"]
    # The run's own copy of the case keeps it, for recovery, until erased.
    assert phone in json.dumps(stored_case)


def test_masking_can_be_switched_off(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITGRAPH_MASK_PERSONAL_DATA", "false")
    _, steps, _, _ = _audit_whatsapp_case()
    assert "+1 555 014 2377" in json.dumps([s.model_dump(mode="json") for s in steps])
