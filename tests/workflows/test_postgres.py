"""The same audit on PostgreSQL: only the database URL changes (store and checkpoints move together)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from service.settings import Settings
from service.wiring import open_auditor
from tests.conftest import load_case

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = f"ag_wf_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 ({type(exc).__name__}); `.ci/run` starts it")
    try:
        yield f"{PG}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_escalate_and_review_on_postgres(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", pg_url)
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
