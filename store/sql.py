"""The audit store on SQL (SQLite by default, PostgreSQL by URL), through sqlmodel."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple, ParamSpec, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, bindparam, insert, text, union, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session, SQLModel, col, select

from auditgraph.store import statements
from auditgraph.store.base import ReviewConflict, RunNotFound
from auditgraph.store.chain import digest, start_step
from auditgraph.store.dispatch import check_fence, enqueue_in, queue_row
from auditgraph.store.headlog import entry_hash, seal
from auditgraph.store.locks import hold_for_transaction
from auditgraph.store.records import (
    DecisionRecord,
    EscalationRecord,
    ReviewRecord,
    RunRecord,
    RunStatus,
    StepKind,
    TraceStep,
    as_utc,
    utcnow,
)
from auditgraph.store.retry import retrying
from auditgraph.store.schema import upgrade
from auditgraph.store.search import RunCursor, RunFilter, search_runs
from auditgraph.store.signing import Signer
from auditgraph.store.tables import (
    DecisionRow,
    DispatchRow,
    EscalationRow,
    LogRow,
    ReviewRow,
    RunRow,
    StepRow,
)

__all__ = [
    "APPEND_ONLY_TABLES",
    "DELETED",
    "DELETED_SEAL",
    "ERASE_CALL",
    "ERASURE_SETTING",
    "RunRecords",
    "SqlAuditStore",
]

DELETED = "deleted"
"""The status of the log entry that records a run's record deleted by retention."""
DELETED_SEAL = "deleted:"
"""The prefix of such an entry's seal: a digest of why the run was deleted, by which rule."""

APPEND_ONLY_TABLES = ("trace_step", "decision", "review", "run_log")
"""On PostgreSQL, rows of these tables can be inserted, never updated or deleted (the
triggers of migrations 0001 and 0004), except trace content during an erasure."""
ERASURE_SETTING = "auditgraph.erasure"
"""Set (transaction-local) while an erasure runs: the one time trace content may change.
On PostgreSQL only `auditgraph_erase` (migration 0006), acting as the tables' owner, can
make it count; setting it from any other role changes nothing."""
ERASE_CALL = "SELECT auditgraph_erase(:run_id, :contents, :case, :record)"
"""The erasure on PostgreSQL: one call of the SECURITY DEFINER function of revision 0006."""
_LOG_LOCK = "auditgraph.run_log"
"""The lock that serialises appends to the log of run heads until the transaction ends."""
_NO_RUN = "P0002"
"""The SQLSTATE `auditgraph_erase` raises for a run that does not exist."""

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")
P = ParamSpec("P")


def _briefly_retried(method: Callable[P, T]) -> Callable[P, T]:
    """Retry `method` on a lock held a moment too long by another writer, or a dropped
    connection: the short writes a run makes outside its trace (start, escalation, review)."""
    return retrying(retry_on=(OperationalError,)).wraps(method)


class _Unclaimed(Exception):
    """The escalation was not open: another review claimed it first."""


@cache
def _fields(model: type[BaseModel]) -> frozenset[str]:
    # Read once: pydantic's `model_fields` is a descriptor that costs a call each time, per field.
    return frozenset(model.model_fields)


def _record(model: type[R], row: SQLModel, **extra: Any) -> R:
    known = _fields(model)
    fields = {k: as_utc(v) for k, v in row.model_dump().items() if k in known}
    return model.model_validate({**fields, **extra})


def _from_row(model: type[R], row: Any) -> R:
    """A record from a Core row's mapping (its columns the model does not have left out)."""
    fields = _fields(model)
    return model.model_validate({k: as_utc(v) for k, v in row.items() if k in fields})


_STEPS = StepRow.__table__  # type: ignore[attr-defined]


class RunRecords(NamedTuple):
    """A run and its records, as `SqlAuditStore.run_records` reads them."""

    run: RunRecord
    escalation: EscalationRecord | None
    reviews: list[ReviewRecord]
    decisions: list[DecisionRecord]


class SqlAuditStore:
    """Satisfies `AuditStore` on any SQLAlchemy engine; brings its schema to the newest
    revision on start (`store.schema`).

    Whenever a run starts, pauses or ends, or an erasure changes its head, an entry is appended
    to the log of run heads (`store.headlog`), signed with `signer` when there is one.
    """

    def __init__(self, engine: Engine, *, signer: Signer | None = None) -> None:
        self.engine = engine
        self.signer = signer
        upgrade(engine)

    def _append_log(self, conn: Connection, run_id: str) -> None:
        """Append the run's current head and seal to the log, in the caller's transaction
        (which has already written, so holds SQLite's write lock)."""
        # An advisory lock, not LOCK TABLE: the runtime role holds INSERT on the log,
        # which allows no lock that would keep two appenders from taking one seq.
        hold_for_transaction(conn, _LOG_LOCK)
        found = conn.execute(statements.RUN_FOR_LOG, {"run_id": run_id}).mappings().first()
        if found is None:
            return
        run = {name: found[name] for name in statements.RUN_COLUMNS}
        escalation = self._escalation_row(conn, run_id)
        records = self._record_rows(conn, run_id)
        self._write_entry(conn, found, status=run["status"], sealed=seal(run, escalation, records))

    def _write_entry(self, conn: Connection, found: Any, *, status: str, sealed: str) -> None:
        """Sign and insert the next log entry for the run `found` (a `RUN_FOR_LOG` row)."""
        last_seq, last_hash = found["log_last_seq"], found["log_last_hash"]
        entry: dict[str, Any] = {
            "seq": (last_seq or 0) + 1,
            "run_id": found["run_id"],
            "status": status,
            "steps": int(found["log_steps"]),
            "head_hash": found["head_hash"] or "",
            "seal": sealed,
            "prev_entry_hash": last_hash if last_seq is not None else "",
            "key_id": self.signer.key_id if self.signer else None,
            "created_at": utcnow(),
        }
        entry["entry_hash"] = entry_hash(entry)
        entry["signature"] = self.signer.sign(entry["entry_hash"].encode()) if self.signer else None
        conn.execute(statements.INSERT_LOG, entry)

    def append_deletion(self, conn: Connection, run_id: str, basis: dict[str, Any]) -> bool:
        """Append the signed entry saying the run's record is deleted (status `deleted`,
        its step count and head as they stand, and a seal over `basis`: why, by which
        rule), in the caller's write transaction, before the rows go; False if no such run."""
        hold_for_transaction(conn, _LOG_LOCK)
        found = conn.execute(statements.RUN_FOR_LOG, {"run_id": run_id}).mappings().first()
        if found is None:
            return False
        self._write_entry(conn, found, status=DELETED, sealed=DELETED_SEAL + digest(basis))
        return True

    def append_log(self, conn: Connection, run_id: str) -> None:
        """Append the run's head and seal to the log of run heads in the caller's write
        transaction: for the store's other writers (`store.holds`) that move a run's head."""
        self._append_log(conn, run_id)

    @staticmethod
    def _escalation_row(conn: Connection, run_id: str) -> dict[str, Any] | None:
        row = conn.execute(statements.SELECT_ESCALATION, {"run_id": run_id}).mappings().first()
        return None if row is None else dict(row)

    @staticmethod
    def _record_rows(conn: Connection, run_id: str) -> dict[str, list[dict[str, Any]]]:
        return {
            name: [dict(r) for r in conn.execute(query, {"run_id": run_id}).mappings()]
            for name, query in (
                ("decisions", statements.SELECT_DECISIONS),
                ("reviews", statements.SELECT_REVIEWS),
            )
        }

    def sealed_rows(
        self, run_id: str
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, list[dict[str, Any]]]]:
        """The run's row, its escalation row and its decision and review rows, raw (what a
        log entry's seal covers)."""
        runs = RunRow.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            run = conn.execute(core_select(runs).where(runs.c.run_id == run_id)).mappings().first()
            return (
                (None if run is None else dict(run)),
                self._escalation_row(conn, run_id),
                self._record_rows(conn, run_id),
            )

    def run_ids(self) -> list[str]:
        """Every run id any table mentions: runs, steps, decisions, reviews, escalations, the log."""
        query = union(
            *(
                core_select(t.__table__.c.run_id)  # type: ignore[attr-defined]
                for t in (RunRow, StepRow, DecisionRow, ReviewRow, EscalationRow, LogRow)
            )
        )
        with self.engine.connect() as conn:
            return sorted(r[0] for r in conn.execute(query))

    def log_entries(self) -> list[dict[str, Any]]:
        """The log of run heads, in order, as stored."""
        table = LogRow.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(core_select(table).order_by(table.c.seq)).mappings()]

    @_briefly_retried
    def start_run(self, run: RunRecord, case: dict, *, queued: bool = False) -> TraceStep:
        """Record a new run, the case it audits, its start record (the case's digest, as the
        first chained step) and a log entry for it, in one transaction; return the record.

        `queued`: also queue the run for the workers (`store.dispatch`) in that transaction,
        so a run is never recorded without the row that gets it run.
        """
        # The digest is of the case as it reads back: JSON, whatever the caller passed.
        stored = json.loads(json.dumps(case))
        first = start_step(run, stored)
        with self.engine.begin() as conn:
            conn.execute(
                statements.INSERT_RUN, {**run.model_dump(), "case_json": stored, "head_hash": first.hash}
            )
            conn.execute(statements.INSERT_STEP, first.model_dump())
            self._append_log(conn, run.run_id)
            if queued:
                conn.execute(insert(DispatchRow.__table__), queue_row(run.run_id, utcnow()))  # type: ignore[attr-defined]
        return first

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        *,
        decision: DecisionRecord | None = None,
        error: str | None = None,
        steps: list[TraceStep] | None = None,
        head_hash: str | None = None,
    ) -> None:
        """Set a run's status and error; append its decision record and last steps, in one transaction."""
        ended = None if status == "running" else utcnow()
        values = {
            "target_run_id": run_id,
            "new_status": status,
            "new_decision": decision.decision if decision else None,
            "new_error": error,
            "new_ended": ended,
            **({"new_head_hash": head_hash} if head_hash is not None else {}),
        }
        with self.engine.begin() as conn:
            check_fence(conn, run_id)
            if steps:
                conn.execute(statements.INSERT_STEP, [s.model_dump() for s in steps])
            if decision is not None:
                conn.execute(statements.INSERT_DECISION, decision.model_dump())
            result = conn.execute(statements.finish_run(with_head=head_hash is not None), values)
            if result.rowcount == 0:
                raise RunNotFound(f"no run {run_id!r}; list runs with `auditgraph runs`")
            if status != "running":
                self._append_log(conn, run_id)

    def record_steps(self, steps: list[TraceStep]) -> None:
        """Append trace steps in one transaction."""
        if not steps:
            return
        # Core executemany, not ORM objects: this is the hot path (one call per node).
        with self.engine.begin() as conn:
            for run_id in {s.run_id for s in steps}:
                check_fence(conn, run_id)
            conn.execute(statements.INSERT_STEP, [s.model_dump() for s in steps])

    @_briefly_retried
    def open_escalation(self, escalation: EscalationRecord) -> EscalationRecord:
        """Open an escalation for its run, or return the one already there."""
        try:
            with self.engine.begin() as conn:
                check_fence(conn, escalation.run_id)
                conn.execute(insert(EscalationRow.__table__), escalation.model_dump())  # type: ignore[attr-defined]
        except IntegrityError:
            found = self.escalation(escalation.run_id)
            if found is None:
                raise
            return found
        return escalation

    @_briefly_retried
    def record_review(self, review: ReviewRecord, *, queued: bool = False) -> None:
        """Claim the run's open escalation and append the review, in one transaction
        (`queued`: with the run queued for the workers, who apply the review).

        The claim is a compare-and-set in one statement (`UPDATE escalation SET
        status='resolved' WHERE run_id=? AND status='open'`): of two reviews racing, one
        updates the row and the other finds it resolved (on PostgreSQL it waits for the
        first to commit, then sees the new status). The unique constraint on
        `review.escalation_id` (migration 0004) refuses a second review row whatever path
        it takes.
        """
        try:
            with self.engine.begin() as conn:
                check_fence(conn, review.run_id)
                claimed = conn.execute(
                    update(EscalationRow)
                    .where(col(EscalationRow.run_id) == review.run_id)
                    .where(col(EscalationRow.status) == "open")
                    .values(status="resolved")
                )
                if claimed.rowcount != 1:
                    raise _Unclaimed
                conn.execute(insert(ReviewRow.__table__), review.model_dump())  # type: ignore[attr-defined]
                # Signed now: the review decides the run before the run's chain records it.
                self._append_log(conn, review.run_id)
                if queued:
                    enqueue_in(conn, review.run_id, utcnow())
        except (_Unclaimed, IntegrityError):
            earlier = self.reviews(review.run_id)
            raise ReviewConflict(review.run_id, earlier[0] if earlier else None) from None

    def queue_run(self, run_id: str) -> bool:
        """Queue the run for the workers (`store.dispatch`); False when it is queued or held already."""
        with self.engine.begin() as conn:
            return enqueue_in(conn, run_id, utcnow())

    @_briefly_retried
    def start_applying_review(self, run_id: str) -> bool:
        """Mark the run running if it is awaiting review, in one statement; True if this call did."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(RunRow)
                .where(col(RunRow.run_id) == run_id)
                .where(col(RunRow.status) == "awaiting_review")
                .values(status="running")
            )
        return result.rowcount == 1

    def record_decision(self, decision: DecisionRecord) -> None:
        """Append a decision record."""
        with self.engine.begin() as conn:
            check_fence(conn, decision.run_id)
            conn.execute(insert(DecisionRow.__table__), decision.model_dump())  # type: ignore[attr-defined]

    def erase(
        self,
        run_id: str,
        *,
        case: dict | None,
        contents: dict[str, dict[str, Any]],
        record: TraceStep,
    ) -> None:
        """Replace erased content and append the erasure record, in one transaction.

        On PostgreSQL the whole erasure is one call of `auditgraph_erase`, the only path
        the runtime role has to trace content and a run's case; SQLite has no roles.
        """
        if self.engine.dialect.name == "postgresql":
            self._erase_on_postgres(run_id, case=case, contents=contents, record=record)
            return
        with self.engine.begin() as conn:
            for step_id, fields in contents.items():
                conn.execute(update(StepRow).where(col(StepRow.id) == step_id).values(**fields))
            conn.execute(insert(StepRow.__table__), record.model_dump())  # type: ignore[attr-defined]
            result = conn.execute(
                update(RunRow)
                .where(col(RunRow.run_id) == run_id)
                .values(case_json=case, head_hash=record.hash)
            )
            if result.rowcount == 0:
                raise RunNotFound(f"no run {run_id!r}; list runs with `auditgraph runs`")
            self._append_log(conn, run_id)

    def _erase_on_postgres(
        self, run_id: str, *, case: dict | None, contents: dict[str, dict[str, Any]], record: TraceStep
    ) -> None:
        call = text(ERASE_CALL).bindparams(
            bindparam("contents", type_=JSONB),
            bindparam("case", type_=JSONB),
            bindparam("record", type_=JSONB),
        )
        values = {
            "run_id": run_id,
            "contents": contents,
            "case": case,
            "record": record.model_dump(mode="json"),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(call, values)
                self._append_log(conn, run_id)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == _NO_RUN:
                raise RunNotFound(f"no run {run_id!r}; list runs with `auditgraph runs`") from None
            raise

    def purge_erased(self) -> None:
        """On SQLite, checkpoint the write-ahead log into the file and truncate it: the
        old versions of erased rows live on in its frames until then. Freed space in the
        file itself is zeroed as it is freed (`secure_delete`, set at connect)."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def runs_of_seller(self, seller_id: str) -> list[RunRecord]:
        """Every run whose case names this seller, oldest first."""
        query = (
            select(RunRow)
            .where(RunRow.case_json[("listing", "seller_id")].as_string() == seller_id)  # type: ignore[index]
            .order_by(col(RunRow.started))
        )
        with Session(self.engine) as session:
            return [_record(RunRecord, r) for r in session.exec(query)]

    def search_runs(
        self, filters: RunFilter, *, limit: int, after: RunCursor | None = None
    ) -> list[RunRecord]:
        """Up to `limit` runs matching `filters`, newest first, strictly after the cursor
        `after` when given (keyset pages, see `store.search`).

        Raises:
            ValueError: `limit` is below 1.
        """
        with self.engine.connect() as conn:
            return search_runs(conn, filters, limit=limit, after=after)

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id."""
        with Session(self.engine) as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise RunNotFound(f"no run {run_id!r}; list runs with `auditgraph runs`")
            return _record(RunRecord, row)

    def get_case(self, run_id: str) -> dict | None:
        """The case a run audited."""
        runs = RunRow.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            return conn.execute(core_select(runs.c.case_json).where(runs.c.run_id == run_id)).scalar()  # type: ignore[no-any-return]

    def list_runs(self, *, limit: int = 50, status: RunStatus | None = None) -> list[RunRecord]:
        """The newest runs first."""
        query = select(RunRow).order_by(col(RunRow.started).desc()).limit(limit)
        if status is not None:
            query = query.where(RunRow.status == status)
        with Session(self.engine) as session:
            return [_record(RunRecord, r) for r in session.exec(query)]

    def steps(self, run_id: str, *, kinds: tuple[StepKind, ...] | None = None) -> list[TraceStep]:
        """A run's trace, in order; with `kinds`, only its steps of those kinds (a reader
        that needs a few steps does not load and parse every step's payload)."""
        # Core rows, validated once: the ORM's objects cost more than the steps' JSON (a
        # case page reads every step; 0.3 ms a step through the ORM, measured).
        query = core_select(_STEPS).where(_STEPS.c.run_id == run_id).order_by(_STEPS.c.seq)
        if kinds is not None:
            query = query.where(_STEPS.c.kind.in_(kinds))
        with self.engine.connect() as conn:
            return [_from_row(TraceStep, r) for r in conn.execute(query).mappings()]

    def escalation(self, run_id: str) -> EscalationRecord | None:
        """The run's escalation, if any."""
        query = select(EscalationRow).where(EscalationRow.run_id == run_id)
        with Session(self.engine) as session:
            row = session.exec(query).first()
            return None if row is None else _record(EscalationRecord, row)

    def open_escalations(self, *, queue: str | None = None) -> list[EscalationRecord]:
        """Open escalations: most urgent first, then riskiest, then oldest."""
        query = (
            select(EscalationRow)
            .where(EscalationRow.status == "open")
            .order_by(
                col(EscalationRow.priority),
                col(EscalationRow.risk).desc().nulls_last(),
                col(EscalationRow.opened_at),
            )
        )
        if queue is not None:
            query = query.where(EscalationRow.queue == queue)
        with Session(self.engine) as session:
            return [_record(EscalationRecord, r) for r in session.exec(query)]

    def reviews(self, run_id: str) -> list[ReviewRecord]:
        """The run's reviews, oldest first."""
        query = select(ReviewRow).where(ReviewRow.run_id == run_id).order_by(col(ReviewRow.created_at))
        with Session(self.engine) as session:
            return [_record(ReviewRecord, r) for r in session.exec(query)]

    def run_records(self, run_id: str) -> RunRecords:
        """A run with its escalation, reviews and decisions, read on one connection (four
        queries): what a door shows of a run, without its trace.

        Raises:
            RunNotFound: no run has that id.
        """
        runs, escalations = RunRow.__table__, EscalationRow.__table__  # type: ignore[attr-defined]
        reviews, decisions = ReviewRow.__table__, DecisionRow.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            run = (
                conn.execute(
                    core_select(*(runs.c[name] for name in RunRecord.model_fields)).where(
                        runs.c.run_id == run_id
                    )
                )
                .mappings()
                .first()
            )
            if run is None:
                raise RunNotFound(f"no run {run_id!r}; list runs with `auditgraph runs`")
            escalation = (
                conn.execute(core_select(escalations).where(escalations.c.run_id == run_id))
                .mappings()
                .first()
            )
            found_reviews = conn.execute(
                core_select(reviews).where(reviews.c.run_id == run_id).order_by(reviews.c.created_at)
            ).mappings()
            return RunRecords(
                run=_from_row(RunRecord, run),
                escalation=None if escalation is None else _from_row(EscalationRecord, escalation),
                reviews=[_from_row(ReviewRecord, r) for r in found_reviews],
                decisions=[
                    _from_row(DecisionRecord, d)
                    for d in conn.execute(
                        core_select(decisions).where(decisions.c.run_id == run_id).order_by(decisions.c.id)
                    ).mappings()
                ],
            )

    def decisions(self, run_id: str) -> list[DecisionRecord]:
        """The run's decision records, oldest first."""
        query = select(DecisionRow).where(DecisionRow.run_id == run_id).order_by(col(DecisionRow.id))
        with Session(self.engine) as session:
            return [_record(DecisionRecord, r) for r in session.exec(query)]
