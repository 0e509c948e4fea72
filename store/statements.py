"""The SQL statements a run writes on every audit, built once.

A run's start and end are two short transactions (the run row, its trace steps, its
decision, and an entry in the log of run heads), each of a handful of statements.
SQLAlchemy builds, coerces and keys a statement each time one is constructed; built here
once, each execution only binds its values. Reading what a log entry covers takes four
statements, not six: the run's row comes with its step count and the log's last entry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select, update
from sqlalchemy.sql.dml import Insert, Update

from auditgraph.store.tables import DecisionRow, EscalationRow, LogRow, ReviewRow, RunRow, StepRow

__all__ = [
    "INSERT_DECISION",
    "INSERT_LOG",
    "INSERT_RUN",
    "INSERT_STEP",
    "RUN_COLUMNS",
    "RUN_FOR_LOG",
    "SELECT_DECISIONS",
    "SELECT_ESCALATION",
    "SELECT_REVIEWS",
    "finish_run",
]

_RUNS = RunRow.__table__  # type: ignore[attr-defined]
_STEPS = StepRow.__table__  # type: ignore[attr-defined]
_LOG = LogRow.__table__  # type: ignore[attr-defined]

RUN_COLUMNS: tuple[str, ...] = tuple(_RUNS.c.keys())
"""The run table's columns: what `RUN_FOR_LOG` returns of the run itself."""

RUN_FOR_LOG: Select[Any] = select(
    _RUNS,
    select(func.coalesce(func.max(_STEPS.c.seq), 0))
    .where(_STEPS.c.run_id == bindparam("run_id"))
    .scalar_subquery()
    .label("log_steps"),
    select(_LOG.c.seq).order_by(_LOG.c.seq.desc()).limit(1).scalar_subquery().label("log_last_seq"),
    select(_LOG.c.entry_hash).order_by(_LOG.c.seq.desc()).limit(1).scalar_subquery().label("log_last_hash"),
).where(_RUNS.c.run_id == bindparam("run_id"))
"""A run's row, how many steps its chain has, and the log's last entry (seq and hash)."""


def _of_run(table: Any) -> Select[Any]:
    return select(table).where(table.c.run_id == bindparam("run_id"))


SELECT_ESCALATION = _of_run(EscalationRow.__table__)  # type: ignore[attr-defined]
SELECT_DECISIONS = _of_run(DecisionRow.__table__)  # type: ignore[attr-defined]
SELECT_REVIEWS = _of_run(ReviewRow.__table__)  # type: ignore[attr-defined]

INSERT_RUN: Insert = insert(_RUNS)
INSERT_STEP: Insert = insert(_STEPS)
INSERT_DECISION: Insert = insert(DecisionRow.__table__)  # type: ignore[attr-defined]
INSERT_LOG: Insert = insert(_LOG)


def _finish(with_head: bool) -> Update:
    # Bound names differ from the columns': SQLAlchemy keeps those for its own SET values.
    values = {
        name: bindparam(f"new_{name}", type_=_RUNS.c[name].type)
        for name in ("status", "decision", "error", "ended", *(("head_hash",) if with_head else ()))
    }
    return update(_RUNS).where(_RUNS.c.run_id == bindparam("target_run_id")).values(**values)


_FINISH = {True: _finish(True), False: _finish(False)}


def finish_run(*, with_head: bool) -> Update:
    """The UPDATE that sets a run's status, decision, error and end (and head, `with_head`).

    Bind `target_run_id` and `new_<column>` for each column set.
    """
    return _FINISH[with_head]
