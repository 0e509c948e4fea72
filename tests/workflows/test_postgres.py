"""The same audit on PostgreSQL: only the database URL changes (store and checkpoints move together)."""

from __future__ import annotations

import pytest

from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from tests.conftest import load_case


def test_escalate_and_review_on_postgres(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", postgres_url)
    with open_auditor(Settings()) as auditor:
        decided = auditor.audit(load_case("switchblade_collector"))
        paused = auditor.audit(load_case("ip_report_needs_specialist"))
    assert decided.decision is not None and decided.decision.clause_ids == ["WPN-4"]
    assert paused.status == "awaiting_review"

    with open_auditor(Settings()) as other:  # a fresh process would build exactly this
        final = other.review(paused.run_id, {"reviewer": "pat", "decision": "approve", "reason": "genuine"})
        assert final.decision is not None and final.decision.decided_by == "reviewer"
        assert other.store.get_run(paused.run_id).status == "completed"
        assert len(other.store.steps(paused.run_id)) > 20
