"""Legal holds on cases: a held case is exempt from every deletion (retention, erasure).

A hold is set on a case id, with who holds it and why, and released the same way. The
`legal_hold` table (revision 0012) keeps the current state, one row per case; the record
of every set and release is a chained "hold" step appended to the trace of each run of
the case, in the same transaction, with the run's head moved to it and an entry in the
signed log of run heads, so `auditgraph trace verify` checks it like any other step.

A run still running is not written to (its process numbers and chains its own steps):
it is reported as open, and the hold covers it all the same, by its case id.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import OperationalError

from auditgraph.store.chain import step_hash
from auditgraph.store.records import TraceStep, as_utc, utcnow
from auditgraph.store.retry import retrying
from auditgraph.store.sql import SqlAuditStore
from auditgraph.store.tables import HoldRow, RunRow, StepRow

__all__ = [
    "HOLD_NODE",
    "RELEASE_NODE",
    "CaseNotFound",
    "Hold",
    "HoldChange",
    "HoldConflict",
    "HoldStore",
    "RunMark",
    "held_case_ids",
]

HOLD_NODE = "hold"
"""The `node` of the step that records a hold set on the run's case (kind "hold")."""
RELEASE_NODE = "release_hold"
"""The `node` of the step that records a hold released (kind "hold")."""

Action = Literal["set", "release"]

_HOLDS = HoldRow.__table__  # type: ignore[attr-defined]
_RUNS = RunRow.__table__  # type: ignore[attr-defined]
_STEPS = StepRow.__table__  # type: ignore[attr-defined]


class CaseNotFound(LookupError):
    """No run audited that case: there is nothing to hold."""


class HoldConflict(ValueError):
    """The case is held already (to set), or not held (to release)."""


class Hold(BaseModel):
    """A case's legal hold as the table keeps it."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    held_by: str
    reason: str
    held_at: datetime
    released_by: str | None = None
    release_reason: str | None = None
    released_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether the hold is in force (not released)."""
        return self.released_at is None


@dataclass(frozen=True)
class RunMark:
    """What setting or releasing a hold wrote to one run of the case."""

    run_id: str
    status: str
    recorded: bool
    """True: a hold step was chained to the run; False: it is running, and left alone."""


@dataclass(frozen=True)
class HoldChange:
    """A hold set or released, and the runs whose trace records it."""

    action: Action
    hold: Hold
    runs: list[RunMark] = field(default_factory=list)


def _hold(row: Any) -> Hold:
    values = dict(row)
    for name in ("held_at", "released_at"):
        values[name] = as_utc(values[name])
    return Hold.model_validate(values)


class HoldStore:
    """Legal holds in the audit store's database; writes go through `store` so the hold
    steps are chained and signed like every other record."""

    def __init__(self, store: SqlAuditStore) -> None:
        self.store = store
        self.engine = store.engine

    def get(self, case_id: str) -> Hold | None:
        """The case's hold row (in force or released), if it ever had one."""
        with self.engine.connect() as conn:
            row = conn.execute(select(_HOLDS).where(_HOLDS.c.case_id == case_id)).mappings().first()
        return None if row is None else _hold(row)

    def list(self, *, include_released: bool = False) -> list[Hold]:
        """Holds in force (and released ones, `include_released`), oldest first."""
        query = select(_HOLDS).order_by(_HOLDS.c.held_at, _HOLDS.c.case_id)
        if not include_released:
            query = query.where(_HOLDS.c.released_at.is_(None))
        with self.engine.connect() as conn:
            return [_hold(r) for r in conn.execute(query).mappings()]

    def held(self, case_ids: Collection[str]) -> set[str]:
        """Which of `case_ids` are held now."""
        if not case_ids:
            return set()
        query = select(_HOLDS.c.case_id).where(
            _HOLDS.c.case_id.in_(list(case_ids)), _HOLDS.c.released_at.is_(None)
        )
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def set(self, case_id: str, *, by: str, reason: str) -> HoldChange:
        """Hold the case: write its row and chain a hold step to each of its runs, in one
        transaction.

        Raises:
            CaseNotFound: no run audited the case.
            HoldConflict: the case is held already.
        """
        return self._change("set", case_id, by=by, reason=reason)

    def release(self, case_id: str, *, by: str, reason: str) -> HoldChange:
        """Release the case's hold, recording who and why, as `set` does.

        Raises:
            CaseNotFound: no run audited the case.
            HoldConflict: the case is not held.
        """
        return self._change("release", case_id, by=by, reason=reason)

    def _change(self, action: Action, case_id: str, *, by: str, reason: str) -> HoldChange:
        # A SQLite writer that read before another committed is refused, not made to
        # wait, and a run may close meanwhile: a second attempt reads afresh.
        for attempt in retrying(retry_on=(_Busy, OperationalError)):
            with attempt:
                return self._change_once(action, case_id, by=by, reason=reason)
        raise AssertionError("unreachable")  # pragma: no cover

    def _change_once(self, action: Action, case_id: str, *, by: str, reason: str) -> HoldChange:
        now = utcnow()
        with self.engine.begin() as conn:
            runs = self._runs(conn, case_id)
            if not runs:
                raise CaseNotFound(f"no run audited case {case_id!r}; list runs with `auditgraph runs`")
            found = conn.execute(select(_HOLDS).where(_HOLDS.c.case_id == case_id)).mappings().first()
            current = None if found is None else _hold(found)
            hold = self._write_row(conn, action, case_id, current, by=by, reason=reason, now=now)
            marks = [self._mark(conn, action, run, hold, now) for run in runs]
        return HoldChange(action, hold, marks)

    def _runs(self, conn: Connection, case_id: str) -> list[Any]:
        query = (
            select(_RUNS.c.run_id, _RUNS.c.status, _RUNS.c.head_hash)
            .where(_RUNS.c.case_id == case_id)
            .order_by(_RUNS.c.started, _RUNS.c.run_id)
        )
        if conn.dialect.name == "postgresql":
            # Runs closing or resuming meanwhile wait for this transaction, then chain after it.
            query = query.with_for_update()
        return list(conn.execute(query).mappings())

    @staticmethod
    def _write_row(
        conn: Connection,
        action: Action,
        case_id: str,
        current: Hold | None,
        *,
        by: str,
        reason: str,
        now: datetime,
    ) -> Hold:
        if action == "set":
            if current is not None and current.active:
                raise HoldConflict(
                    f"case {case_id!r} is held already, by {current.held_by} since "
                    f"{current.held_at:%Y-%m-%d %H:%M} UTC; release it first to hold it anew"
                )
            values = {
                "held_by": by,
                "reason": reason,
                "held_at": now,
                "released_by": None,
                "release_reason": None,
                "released_at": None,
            }
            if current is None:
                conn.execute(insert(_HOLDS).values(case_id=case_id, **values))
            else:
                conn.execute(update(_HOLDS).where(_HOLDS.c.case_id == case_id).values(**values))
            return Hold(case_id=case_id, **values)
        if current is None or not current.active:
            raise HoldConflict(f"case {case_id!r} is not held; see `auditgraph hold list`")
        values = {"released_by": by, "release_reason": reason, "released_at": now}
        conn.execute(update(_HOLDS).where(_HOLDS.c.case_id == case_id).values(**values))
        return current.model_copy(update=values)

    def _mark(self, conn: Connection, action: Action, run: Any, hold: Hold, now: datetime) -> RunMark:
        if run["status"] == "running":
            return RunMark(run["run_id"], run["status"], recorded=False)
        last = (
            conn.execute(
                select(_STEPS.c.seq, _STEPS.c.hash)
                .where(_STEPS.c.run_id == run["run_id"])
                .order_by(_STEPS.c.seq.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        prev_hash = last["hash"] if last else ""
        held = action == "set"
        if held:
            meta = {"action": action, "by": hold.held_by, "reason": hold.reason}
        else:
            meta = {"action": action, "by": hold.released_by, "reason": hold.release_reason}
        step = TraceStep(
            run_id=run["run_id"],
            case_id=hold.case_id,
            seq=(last["seq"] if last else 0) + 1,
            node=HOLD_NODE if held else RELEASE_NODE,
            kind="hold",
            input=meta,
            output={"case_id": hold.case_id, "held": held, "held_since": hold.held_at.isoformat()},
            started=now,
            ended=now,
            prev_hash=prev_hash,
        )
        step = step.model_copy(update={"hash": step_hash(prev_hash, step)})
        conn.execute(insert(_STEPS), step.model_dump())
        moved = conn.execute(
            update(_RUNS)
            .where(_RUNS.c.run_id == run["run_id"], _RUNS.c.status == run["status"])
            .values(head_hash=step.hash)
        )
        if moved.rowcount != 1:
            raise _Busy(run["run_id"])
        self.store.append_log(conn, run["run_id"])
        return RunMark(run["run_id"], run["status"], recorded=True)


class _Busy(RuntimeError):
    """A run of the case changed state while its hold step was written: try again."""


def held_case_ids(store: object, case_ids: Collection[str]) -> set[str]:
    """Which of `case_ids` are held in `store`'s database; none for a store without holds
    (the in-memory store keeps none)."""
    if not isinstance(store, SqlAuditStore):
        return set()
    return HoldStore(store).held(case_ids)
