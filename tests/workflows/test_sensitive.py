"""With sensitive data off, seller text leaves the trace and the run record; policy text stays."""

from __future__ import annotations

import json

import pytest

from service.settings import Settings
from service.wiring import open_auditor
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
