"""What retention reads from the audit record: the runs that ended before a time.

Only finished runs (completed or failed) are ever candidates: a run running or awaiting
review resumes from its checkpoints and is never one. The caller leaves out runs of cases
under legal hold (`store.holds`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import Engine, select

from auditgraph.store.tables import RunRow

__all__ = ["FINISHED", "FinishedRun", "finished_before"]

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
