"""Fault injection on the audit store: a locked or vanished database never yields an unrecorded decision."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.exc import OperationalError

from auditgraph.store import SqlAuditStore
from auditgraph.store.records import RunStatus
from auditgraph.workflows import Auditor, RecordingError
from tests.conftest import load_case


class LockedAtClose(SqlAuditStore):
    """A SQLite store whose closing write always finds the database locked."""

    def finish_run(self, run_id: str, status: RunStatus, **kwargs: object) -> None:
        if status != "running":
            raise OperationalError("UPDATE run", {}, Exception("database is locked"))
        super().finish_run(run_id, status, **kwargs)  # type: ignore[arg-type]


class FlakyAtClose(SqlAuditStore):
    """Locked twice, then fine: the recorder's retries absorb it."""

    failures = 2

    def finish_run(self, run_id: str, status: RunStatus, **kwargs: object) -> None:
        if self.failures:
            self.failures -= 1
            raise OperationalError("UPDATE run", {}, Exception("database is locked"))
        super().finish_run(run_id, status, **kwargs)  # type: ignore[arg-type]


def _swap_store(auditor: Auditor, store_type: type[SqlAuditStore]) -> Auditor:
    store = store_type(auditor.store.engine)  # type: ignore[attr-defined]
    auditor.store = store
    auditor.recorder.store = store
    return auditor


@pytest.mark.parametrize("case", ["kitchen_knife_set", "switchblade_collector"])
def test_a_store_locked_at_the_end_raises_and_leaves_the_run_open(
    make_auditor: Callable[..., Auditor], case: str
) -> None:
    auditor = _swap_store(make_auditor(), LockedAtClose)
    with pytest.raises(RecordingError, match="could not be recorded as completed"):
        auditor.audit(load_case(case))
    [run] = auditor.store.list_runs()
    assert run.status == "running" and run.decision is None
    assert auditor.store.decisions(run.run_id) == []
    assert len(auditor.recorder.pending(run.run_id)) > 10  # held, not lost


def test_a_briefly_locked_store_is_retried(make_auditor: Callable[..., Auditor]) -> None:
    auditor = _swap_store(make_auditor(), FlakyAtClose)
    outcome = auditor.audit(load_case("switchblade_collector"))
    run = auditor.store.get_run(outcome.run_id)
    assert run.status == "completed"
    assert [d.decision for d in auditor.store.decisions(outcome.run_id)] == ["reject"]
