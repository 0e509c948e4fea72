"""Retention and legal hold, on SQLite and on PostgreSQL as the runtime role: a pass prunes
the older checkpoints of finished runs only, leaves open runs and held cases whole, and
every run still verifies, reads its final state, takes its review and can be erased."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor, trusted_keys
from auditgraph.store import RunNotFound
from auditgraph.store.holds import HoldStore
from auditgraph.store.integrity import verify_store
from auditgraph.store.retention import RETAIN_CALL
from auditgraph.store.tables import StepRow
from auditgraph.workflows import Auditor, erase_seller
from auditgraph.workflows.holds import release_hold, set_hold
from auditgraph.workflows.retention import apply_retention, prune_checkpoints
from tests.conftest import load_case


@pytest.fixture(params=["sqlite", "postgres"])
def settings_sync(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings on a fresh database, checkpoints written after every step (many a run)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", url)
    monkeypatch.setenv("AUDITGRAPH_DURABILITY", "sync")
    monkeypatch.setenv("AUDITGRAPH_RETENTION_CHECKPOINT_DAYS", "0")
    return Settings()


def _checkpoints(auditor: Auditor, run_id: str) -> int:
    return len(list(auditor.graph.checkpointer.list({"configurable": {"thread_id": run_id}})))  # type: ignore[union-attr]


def _state(auditor: Auditor, run_id: str) -> dict[str, Any]:
    return auditor.graph.get_state({"configurable": {"thread_id": run_id}}).values


def _problems(auditor: Auditor, settings: Settings) -> dict[str, list[str]]:
    checks = verify_store(auditor.store, trusted=trusted_keys(settings))  # type: ignore[arg-type]
    return {c.run_id: c.problems for c in checks if c.problems}


def test_retention_prunes_finished_runs_only_and_everything_still_works(settings_sync: Settings) -> None:
    settings = settings_sync
    with open_auditor(settings) as auditor:
        store = auditor.store
        pruned = auditor.audit(load_case("off_platform_whatsapp"))  # seller S00010
        held = auditor.audit(load_case("switchblade_collector"))
        paused = auditor.audit(load_case("ip_report_needs_specialist"))
        assert (pruned.status, held.status, paused.status) == ("completed", "completed", "awaiting_review")
        runs = (pruned.run_id, held.run_id, paused.run_id)
        before = {r: _checkpoints(auditor, r) for r in runs}
        assert all(n > 3 for n in before.values()), before
        final_state = _state(auditor, pruned.run_id)

        change = set_hold(store, held.case_id, reason="matter M-7", by="legal")  # type: ignore[arg-type]
        assert [(m.run_id, m.recorded) for m in change.runs] == [(held.run_id, True)]

        dry = prune_checkpoints(store, auditor.graph.checkpointer, days=0, dry_run=True)  # type: ignore[arg-type]
        assert [p.run_id for p in dry.pruned] == [pruned.run_id]
        assert dry.checkpoints_removed == before[pruned.run_id] - 1 and dry.row_bytes_removed > 0
        assert [s.run_id for s in dry.held] == [held.run_id]
        assert {r: _checkpoints(auditor, r) for r in runs} == before  # a dry run changes nothing

        report = prune_checkpoints(store, auditor.graph.checkpointer, days=0)  # type: ignore[arg-type]
        assert [(p.run_id, p.checkpoints_after) for p in report.pruned] == [(pruned.run_id, 1)]
        assert report.checkpoints_removed == dry.checkpoints_removed
        # The dry run's estimate leaves out blobs the latest checkpoint may share (PostgreSQL).
        assert report.row_bytes_removed >= dry.row_bytes_removed
        assert _checkpoints(auditor, pruned.run_id) == 1
        assert _checkpoints(auditor, held.run_id) == before[held.run_id]
        assert _checkpoints(auditor, paused.run_id) == before[paused.run_id]
        assert _state(auditor, pruned.run_id)["decision"] == final_state["decision"]
        assert _problems(auditor, settings) == {}
        assert prune_checkpoints(store, auditor.graph.checkpointer, days=0).pruned == []  # type: ignore[arg-type]

        # A hold set and released on a paused run is chained; its review still applies.
        set_hold(store, paused.case_id, reason="regulator query", by="legal")  # type: ignore[arg-type]
        release_hold(store, paused.case_id, reason="answered", by="legal")  # type: ignore[arg-type]
        kinds = [(s.kind, s.node) for s in store.steps(paused.run_id)[-2:]]
        assert kinds == [("hold", "hold"), ("hold", "release_hold")]
        done = auditor.review(paused.run_id, {"reviewer": "pat", "decision": "approve", "reason": "genuine"})
        assert done.status == "completed"

        # Erasure works on the pruned run and leaves the held one alone.
        erased = erase_seller(
            store, auditor.graph.checkpointer, "S00010", reason="DSR-1", requested_by="privacy"
        )  # type: ignore[arg-type]
        assert [(r.run_id, r.outcome) for r in erased.runs] == [(pruned.run_id, "erased")]
        seller = load_case("switchblade_collector")["listing"]["seller_id"]
        kept = erase_seller(store, auditor.graph.checkpointer, seller, reason="DSR-2", requested_by="privacy")  # type: ignore[arg-type]
        assert [(r.run_id, r.outcome) for r in kept.runs] == [(held.run_id, "held")]
        assert _checkpoints(auditor, held.run_id) == before[held.run_id]
        assert _problems(auditor, settings) == {}
        assert [h.case_id for h in HoldStore(store).list()] == [held.case_id]  # type: ignore[arg-type]


def test_record_retention_deletes_whole_runs_with_a_signed_entry_and_spares_held_and_open_ones(
    settings_sync: Settings,
) -> None:
    settings = settings_sync
    with open_auditor(settings) as auditor:
        store = auditor.store
        gone = auditor.audit(load_case("off_platform_whatsapp"))
        held = auditor.audit(load_case("switchblade_collector"))
        paused = auditor.audit(load_case("ip_report_needs_specialist"))
        set_hold(store, held.case_id, reason="matter M-7", by="legal")  # type: ignore[arg-type]
        paused_checkpoints = _checkpoints(auditor, paused.run_id)
        steps = store.steps(gone.run_id)
        checkpointer = auditor.graph.checkpointer

        dry = apply_retention(store, checkpointer, checkpoint_days=0, record_days=0, dry_run=True)  # type: ignore[arg-type]
        assert [d.run_id for d in dry.deleted] == [gone.run_id] and [s.run_id for s in dry.held] == [
            held.run_id
        ]
        assert store.get_run(gone.run_id).status == "completed"  # a dry run deletes nothing

        report = apply_retention(store, checkpointer, checkpoint_days=0, record_days=0)  # type: ignore[arg-type]
        assert [d.run_id for d in report.deleted] == [gone.run_id] and report.deleted[0].checkpoints > 1
        with pytest.raises(RunNotFound):
            store.get_run(gone.run_id)
        assert store.steps(gone.run_id) == [] and store.decisions(gone.run_id) == []
        assert _checkpoints(auditor, gone.run_id) == 0
        assert store.get_run(held.run_id).status == "completed"
        assert _checkpoints(auditor, paused.run_id) == paused_checkpoints
        assert store.log_entries()[-1]["status"] == "deleted"  # type: ignore[attr-defined]
        assert _problems(auditor, settings) == {}  # the deletion is signed: not tampering
        checks = verify_store(store, run_id=gone.run_id, trusted=trusted_keys(settings))  # type: ignore[arg-type]
        assert [(c.ok, c.deleted) for c in checks] == [(True, True)]

        if store.engine.dialect.name == "postgresql":
            # The runtime role deletes only through auditgraph_retain, and only once logged.
            with pytest.raises(DBAPIError), store.engine.begin() as conn:
                conn.execute(text("DELETE FROM trace_step WHERE run_id = :r"), {"r": held.run_id})
            release = lambda: release_hold(store, held.case_id, reason="closed", by="legal")  # type: ignore[arg-type]  # noqa: E731
            for said, run_id, before in (
                ("under legal hold", held.run_id, None),
                ("did not finish", paused.run_id, None),
                ("must be logged first", held.run_id, release),
            ):
                if before is not None:
                    before()
                with pytest.raises(DBAPIError, match=said), store.engine.begin() as conn:
                    conn.execute(text(RETAIN_CALL), {"run_id": run_id, "days": 0})
        # A step of the deleted run put back is caught.
        with store.engine.begin() as conn:
            conn.execute(insert(StepRow.__table__), steps[0].model_dump())  # type: ignore[attr-defined]
        assert "inserted again" in " ".join(_problems(auditor, settings)[gone.run_id])
