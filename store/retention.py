"""What retention reads from and deletes in the audit record: the runs that ended before
a time, and (when a record retention period is set) a run's whole record.

Only finished runs (completed or failed) are ever candidates: a run running or awaiting
review resumes from its checkpoints and is never one. The caller leaves out runs of cases
under legal hold (`store.holds`); the deletion checks it again, in its transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, Engine, delete, select, text
from sqlalchemy.exc import DBAPIError

from auditgraph.store.records import utcnow
from auditgraph.store.sql import SqlAuditStore
from auditgraph.store.tables import (
    DecisionRow,
    DispatchRow,
    EscalationRow,
    HoldRow,
    LeaseRow,
    ReviewRow,
    RunRow,
    StepRow,
    SubmissionRow,
)

__all__ = ["FINISHED", "RETAIN_CALL", "FinishedRun", "NotDeletable", "delete_record", "finished_before"]

FINISHED = ("completed", "failed")
"""The run statuses retention may touch: nothing resumes from them."""

_RUNS = RunRow.__table__  # type: ignore[attr-defined]


class FinishedRun(NamedTuple):
    """A finished run, as retention lists it."""

    run_id: str
    case_id: str
    status: str
    ended: datetime


def finished_before(engine: Engine, cutoff: datetime) -> list[FinishedRun]:
    """Every run completed or failed before `cutoff`, oldest end first."""
    query = (
        select(_RUNS.c.run_id, _RUNS.c.case_id, _RUNS.c.status, _RUNS.c.ended)
        .where(_RUNS.c.status.in_(FINISHED), _RUNS.c.ended.is_not(None), _RUNS.c.ended < cutoff)
        .order_by(_RUNS.c.ended, _RUNS.c.run_id)
    )
    with engine.connect() as conn:
        return [
            FinishedRun(
                r.run_id, r.case_id, r.status, r.ended if r.ended.tzinfo else r.ended.replace(tzinfo=UTC)
            )
            for r in conn.execute(query)
        ]


RETAIN_CALL = "SELECT auditgraph_retain(:run_id, :days)"
"""The deletion on PostgreSQL: one call of the SECURITY DEFINER function of revision 0013."""

_OF_RUN = (StepRow, DecisionRow, ReviewRow, EscalationRow, LeaseRow, DispatchRow, SubmissionRow, RunRow)
"""Every table with rows of a run, the run's own last."""


class NotDeletable(ValueError):
    """The run may not be deleted (now): not finished long enough ago, or its case is held."""


def delete_record(store: SqlAuditStore, run: FinishedRun, *, days: int) -> None:
    """Delete the run's whole audit record (run, trace, decisions, reviews, escalation, lease,
    dispatch row, idempotency key), after appending the signed log entry that says it was
    deleted by retention after `days` days, in one transaction. The caller deletes its
    checkpoints.

    The log entry stays: `verify_store` then reports the run as deleted by retention, and
    any row of it found later as inserted again. On PostgreSQL the deletion is one call of
    `auditgraph_retain` (revision 0013), which checks the same rules as here.

    Raises:
        NotDeletable: the run is open, ended less than `days` days ago, or its case is held.
    """
    basis = {
        "by": "retention",
        "days": days,
        "run_id": run.run_id,
        "case_id": run.case_id,
        "status": run.status,
        "ended": run.ended.isoformat(),
    }
    with store.engine.begin() as conn:
        if not store.append_deletion(conn, run.run_id, basis):
            return  # deleted meanwhile
        if conn.dialect.name == "postgresql":
            try:
                conn.execute(text(RETAIN_CALL), {"run_id": run.run_id, "days": days})
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == "22023":
                    raise NotDeletable(str(exc.orig).splitlines()[0].removeprefix("auditgraph: ")) from None
                raise
            return
        _check_deletable(conn, run.run_id, days)
        for table in _OF_RUN:
            rows = table.__table__  # type: ignore[attr-defined]
            conn.execute(delete(rows).where(rows.c.run_id == run.run_id))


def _check_deletable(conn: Connection, run_id: str, days: int) -> None:
    """What `auditgraph_retain` checks, for SQLite (inside the writing transaction)."""
    found = conn.execute(
        select(_RUNS.c.status, _RUNS.c.ended, _RUNS.c.case_id).where(_RUNS.c.run_id == run_id)
    ).first()
    ended = (
        None
        if found is None or found.ended is None
        else found.ended.replace(tzinfo=found.ended.tzinfo or UTC)
    )
    if (
        found is None
        or found.status not in FINISHED
        or ended is None
        or ended >= utcnow() - timedelta(days=days)
    ):
        raise NotDeletable(f"run {run_id} did not finish more than {days} days ago")
    holds = HoldRow.__table__  # type: ignore[attr-defined]
    held = conn.execute(
        select(holds.c.case_id).where(holds.c.case_id == found.case_id, holds.c.released_at.is_(None))
    ).first()
    if held is not None:
        raise NotDeletable(f"case {found.case_id} is under legal hold")
