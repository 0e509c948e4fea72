"""Retention: prune the checkpoints of runs that finished long enough ago, and, when the
audit record has a retention period, delete the runs that finished before it.

A run's checkpoints (LangGraph's, thread id = run id) are what a paused or killed run
resumes from. Once a run has finished (completed or failed) nothing resumes it, and only
its latest checkpoint is still read: `graph.get_state` shows its final state. So a
retention pass, for every run that finished more than `checkpoint_days` ago:

- keeps its latest checkpoint (of each namespace) with its pending writes, and deletes
  every older checkpoint and write: on PostgreSQL with `PostgresSaver.prune(...,
  strategy="keep_latest")` (which also deletes the blobs only older checkpoints used,
  and refuses threads that use a DeltaChannel, leaving them whole), on SQLite with the
  same rule over SqliteSaver's `checkpoints` and `writes` tables, one transaction per run;
- never touches a run running or awaiting review, nor any run of a case under legal hold
  (`store.holds`), checked again just before each run is pruned;
- leaves the audit record alone: the trace, decisions, reviews, escalation and the
  signed log are not checkpoints, so every kept run verifies as before.

With `record_days` (AUDITGRAPH_RETENTION_RECORD_DAYS; unset by default, records are then
kept forever) a pass first deletes, for every run finished more than that long ago and
not held, its whole record and then its checkpoints: the store appends a signed log entry
saying the run was deleted by retention and deletes the rows in the same transaction
(`store.retention.delete_record`; on PostgreSQL through `auditgraph_retain`), so
verification tells the deletion from tampering.

"Bytes reclaimed" is measured, not promised: the checkpoint rows' own bytes before and
after, and the storage around them (SQLite: the file's pages and its free list;
PostgreSQL: `pg_total_relation_size` of the three checkpoint tables). Deleted rows free
space for reuse inside the database (SQLite's free list; PostgreSQL once VACUUM has run);
neither returns it to the operating system without VACUUM (SQLite) or VACUUM FULL
(PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple, Protocol

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from sqlalchemy import Engine, bindparam, text

from auditgraph.store.holds import held_case_ids
from auditgraph.store.records import utcnow
from auditgraph.store.retention import FinishedRun, NotDeletable, delete_record, finished_before
from auditgraph.store.sql import SqlAuditStore

__all__ = [
    "CheckpointStats",
    "DeletedRun",
    "PrunedRun",
    "RetentionReport",
    "SkippedRun",
    "Storage",
    "apply_retention",
    "prune_checkpoints",
]

_BATCH = 500
"""Thread ids per statement when reading checkpoint counts."""


class CheckpointStats(NamedTuple):
    """One thread's checkpoints: how many, how many are latest (one per namespace), and
    the bytes of its rows, all and those an older checkpoint holds."""

    checkpoints: int
    latest: int
    row_bytes: int
    prunable_bytes: int


class Storage(NamedTuple):
    """The space around the checkpoint tables, in bytes."""

    total: int
    """SQLite: the file's pages; PostgreSQL: pg_total_relation_size of the checkpoint tables."""
    free: int | None
    """SQLite: the pages on the free list, reusable by the next writes; PostgreSQL: None."""


@dataclass(frozen=True)
class PrunedRun:
    """A run whose older checkpoints were (or, in a dry run, would be) deleted."""

    run_id: str
    case_id: str
    status: str
    ended: datetime
    checkpoints_before: int
    checkpoints_after: int
    """In a dry run: what would be left."""
    bytes_before: int
    bytes_after: int
    """In a dry run: an estimate from the older checkpoints' rows (without shared blobs)."""


@dataclass(frozen=True)
class DeletedRun:
    """A run whose whole record and checkpoints were (or, dry, would be) deleted."""

    run_id: str
    case_id: str
    status: str
    ended: datetime
    checkpoints: int
    """Its checkpoints deleted with it."""


@dataclass(frozen=True)
class SkippedRun:
    """A finished run past the cut-off left whole, and why."""

    run_id: str
    case_id: str
    reason: Literal["held", "refused"]
    """held: its case is under legal hold; refused: the saver would not prune it safely,
    or the database refused to delete it."""


@dataclass
class RetentionReport:
    """What a retention pass did (or, dry, would do)."""

    dry_run: bool
    checkpoint_days: int
    cutoff: datetime
    backend: str
    record_days: int | None = None
    """The audit record's retention period; None: records are kept forever."""
    record_cutoff: datetime | None = None
    deleted: list[DeletedRun] = field(default_factory=list)
    pruned: list[PrunedRun] = field(default_factory=list)
    skipped: list[SkippedRun] = field(default_factory=list)
    unchanged: int = 0
    """Finished runs past the cut-off with nothing to prune (one checkpoint, or none)."""
    storage_before: Storage | None = None
    storage_after: Storage | None = None

    @property
    def held(self) -> list[SkippedRun]:
        """Runs left whole because their case is under legal hold."""
        return [s for s in self.skipped if s.reason == "held"]

    @property
    def checkpoints_removed(self) -> int:
        """Checkpoints deleted (or that would be)."""
        return sum(p.checkpoints_before - p.checkpoints_after for p in self.pruned)

    @property
    def row_bytes_removed(self) -> int:
        """Bytes of checkpoint rows deleted (or, dry, an estimate of them)."""
        return sum(p.bytes_before - p.bytes_after for p in self.pruned)


class _Checkpoints(Protocol):
    name: str

    def stats(self, thread_ids: Sequence[str]) -> dict[str, CheckpointStats]: ...
    def prune(self, thread_id: str) -> None: ...
    def storage(self) -> Storage: ...


def prune_checkpoints(
    store: SqlAuditStore,
    checkpointer: BaseCheckpointSaver | None,
    *,
    days: int,
    dry_run: bool = False,
    now: datetime | None = None,
) -> RetentionReport:
    """Prune the checkpoints of runs that finished more than `days` days ago, keeping each
    one's latest; runs of held cases are skipped (see the module's docstring).

    Raises:
        ValueError: `days` is below 0, or the checkpointer is neither SQLite's nor
            PostgreSQL's (in-memory checkpoints end with their process).
    """
    return apply_retention(store, checkpointer, checkpoint_days=days, dry_run=dry_run, now=now)


def apply_retention(
    store: SqlAuditStore,
    checkpointer: BaseCheckpointSaver | None,
    *,
    checkpoint_days: int,
    record_days: int | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> RetentionReport:
    """One retention pass: with `record_days`, first delete the whole record (and the
    checkpoints) of every run that finished more than `record_days` days ago; then prune
    the checkpoints of the runs that finished more than `checkpoint_days` days ago. Runs
    still open and runs of held cases are never touched.

    Each deleted run leaves a signed entry in the log of run heads saying so
    (`store.retention.delete_record`), so `verify_store` tells a deletion by retention
    from tampering.

    Raises:
        ValueError: a period is below 0, or the checkpointer is neither SQLite's nor
            PostgreSQL's (in-memory checkpoints end with their process).
    """
    for label, value in (("checkpoint", checkpoint_days), ("record", record_days)):
        if value is not None and value < 0:
            raise ValueError(f"the {label} retention must be 0 days or more, not {value}")
    tables = _tables(checkpointer, store.engine)
    now = now or utcnow()
    cutoff = now - timedelta(days=checkpoint_days)
    report = RetentionReport(dry_run, checkpoint_days, cutoff, tables.name, record_days=record_days)
    report.storage_before = tables.storage()
    if record_days is not None:
        report.record_cutoff = now - timedelta(days=record_days)
        _delete_records(store, checkpointer, tables, report, record_days, report.record_cutoff)
    _prune(store, tables, report)
    report.storage_after = report.storage_before if dry_run else tables.storage()
    return report


def _delete_records(
    store: SqlAuditStore,
    checkpointer: BaseCheckpointSaver | None,
    tables: _Checkpoints,
    report: RetentionReport,
    days: int,
    cutoff: datetime,
) -> None:
    runs = finished_before(store.engine, cutoff)
    held = held_case_ids(store, {r.case_id for r in runs})
    stats = tables.stats([r.run_id for r in runs if r.case_id not in held])
    for run in runs:
        if run.case_id in held:
            report.skipped.append(SkippedRun(run.run_id, run.case_id, "held"))
            continue
        found = stats.get(run.run_id)
        if not report.dry_run:
            try:
                delete_record(store, run, days=days)
            except NotDeletable:  # held, or changed, since the pass began
                report.skipped.append(
                    SkippedRun(
                        run.run_id, run.case_id, "held" if held_case_ids(store, {run.case_id}) else "refused"
                    )
                )
                continue
            if checkpointer is not None:
                checkpointer.delete_thread(run.run_id)
        report.deleted.append(
            DeletedRun(run.run_id, run.case_id, run.status, run.ended, found.checkpoints if found else 0)
        )


def _prune(store: SqlAuditStore, tables: _Checkpoints, report: RetentionReport) -> None:
    done = {r.run_id for r in report.deleted} | {s.run_id for s in report.skipped}
    runs = [r for r in finished_before(store.engine, report.cutoff) if r.run_id not in done]
    held = held_case_ids(store, {r.case_id for r in runs})
    stats = tables.stats([r.run_id for r in runs if r.case_id not in held])
    for run in runs:
        if run.case_id in held:
            report.skipped.append(SkippedRun(run.run_id, run.case_id, "held"))
            continue
        before = stats.get(run.run_id)
        if before is None or before.checkpoints <= before.latest:
            report.unchanged += 1
            continue
        if report.dry_run:
            report.pruned.append(
                _pruned(run, before, before.latest, before.row_bytes - before.prunable_bytes)
            )
            continue
        if held_case_ids(store, {run.case_id}):
            # Held since the pass began: a hold wins over retention.
            report.skipped.append(SkippedRun(run.run_id, run.case_id, "held"))
            continue
        try:
            tables.prune(run.run_id)
        except NotImplementedError:
            report.skipped.append(SkippedRun(run.run_id, run.case_id, "refused"))
            continue
        after = tables.stats([run.run_id]).get(run.run_id, CheckpointStats(0, 0, 0, 0))
        report.pruned.append(_pruned(run, before, after.checkpoints, after.row_bytes))


def _pruned(run: FinishedRun, before: CheckpointStats, left: int, bytes_left: int) -> PrunedRun:
    return PrunedRun(
        run.run_id, run.case_id, run.status, run.ended, before.checkpoints, left, before.row_bytes, bytes_left
    )


def _tables(checkpointer: BaseCheckpointSaver | None, engine: Engine) -> _Checkpoints:
    if isinstance(checkpointer, SqliteSaver):
        return _SqliteCheckpoints(checkpointer)
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
    except ImportError:  # without the postgres extra, no PostgreSQL checkpointer exists
        PostgresSaver = None  # type: ignore[assignment,misc]
    if PostgresSaver is not None and isinstance(checkpointer, PostgresSaver):
        return _PostgresCheckpoints(checkpointer, engine)
    raise ValueError(
        "checkpoint retention needs SQLite or PostgreSQL checkpoints (a SQLite file or a "
        "PostgreSQL AUDITGRAPH_DATABASE_URL); in-memory checkpoints end with their process"
    )


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


_SQLITE_STATS = """
WITH latest AS (
    SELECT thread_id, checkpoint_ns, max(checkpoint_id) AS checkpoint_id
    FROM checkpoints WHERE thread_id IN ({ids}) GROUP BY thread_id, checkpoint_ns
), sized AS (
    SELECT c.thread_id, c.checkpoint_id = l.checkpoint_id AS is_latest,
           coalesce(length(c.checkpoint), 0) + coalesce(length(c.metadata), 0) AS size
    FROM checkpoints c JOIN latest l USING (thread_id, checkpoint_ns)
    UNION ALL
    SELECT w.thread_id, w.checkpoint_id = l.checkpoint_id, coalesce(length(w.value), 0)
    FROM writes w JOIN latest l USING (thread_id, checkpoint_ns)
)
SELECT s.thread_id,
       (SELECT count(*) FROM checkpoints c WHERE c.thread_id = s.thread_id),
       (SELECT count(*) FROM latest l WHERE l.thread_id = s.thread_id),
       sum(s.size), sum(CASE WHEN s.is_latest THEN 0 ELSE s.size END)
FROM sized s GROUP BY s.thread_id
"""

_SQLITE_PRUNE = (
    # Every checkpoint older than its namespace's latest, then the writes no kept
    # checkpoint owns: what `get_tuple` loads is the latest and its own pending writes.
    """DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id < (
        SELECT max(k.checkpoint_id) FROM checkpoints k
        WHERE k.thread_id = checkpoints.thread_id AND k.checkpoint_ns = checkpoints.checkpoint_ns)""",
    """DELETE FROM writes WHERE thread_id = ? AND NOT EXISTS (
        SELECT 1 FROM checkpoints k WHERE k.thread_id = writes.thread_id
        AND k.checkpoint_ns = writes.checkpoint_ns AND k.checkpoint_id = writes.checkpoint_id)""",
)


class _SqliteCheckpoints:
    """SqliteSaver's tables, through the saver's own connection and lock."""

    name = "sqlite"

    def __init__(self, saver: SqliteSaver) -> None:
        self.saver = saver

    def stats(self, thread_ids: Sequence[str]) -> dict[str, CheckpointStats]:
        found: dict[str, CheckpointStats] = {}
        with self.saver.cursor(transaction=False) as cur:
            for chunk in _chunks(thread_ids):
                query = _SQLITE_STATS.format(ids=", ".join("?" * len(chunk)))
                for row in cur.execute(query, list(chunk)):
                    found[row[0]] = CheckpointStats(*(int(v or 0) for v in row[1:]))
        return found

    def prune(self, thread_id: str) -> None:
        conn = self.saver.conn
        with self.saver.cursor(transaction=False) as cur:
            if conn.in_transaction:
                conn.commit()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SQLITE_PRUNE:
                    cur.execute(statement, (thread_id,))
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def storage(self) -> Storage:
        with self.saver.cursor(transaction=False) as cur:
            page_size = cur.execute("PRAGMA page_size").fetchone()[0]
            pages = cur.execute("PRAGMA page_count").fetchone()[0]
            free = cur.execute("PRAGMA freelist_count").fetchone()[0]
        return Storage(pages * page_size, free * page_size)


_POSTGRES_TABLES = ("checkpoints", "checkpoint_writes", "checkpoint_blobs")

_POSTGRES_STATS = """
WITH latest AS (
    SELECT thread_id, checkpoint_ns, max(checkpoint_id) AS checkpoint_id
    FROM checkpoints WHERE thread_id IN :ids GROUP BY thread_id, checkpoint_ns
), sized AS (
    SELECT c.thread_id, c.checkpoint_id = l.checkpoint_id AS is_latest, pg_column_size(c.*) AS size
    FROM checkpoints c JOIN latest l USING (thread_id, checkpoint_ns)
    UNION ALL
    SELECT w.thread_id, w.checkpoint_id = l.checkpoint_id, pg_column_size(w.*)
    FROM checkpoint_writes w JOIN latest l USING (thread_id, checkpoint_ns)
    UNION ALL
    SELECT b.thread_id, true, pg_column_size(b.*)
    FROM checkpoint_blobs b WHERE b.thread_id IN :ids
)
SELECT s.thread_id,
       (SELECT count(*) FROM checkpoints c WHERE c.thread_id = s.thread_id),
       (SELECT count(*) FROM latest l WHERE l.thread_id = s.thread_id),
       sum(s.size), sum(CASE WHEN s.is_latest THEN 0 ELSE s.size END)
FROM sized s GROUP BY s.thread_id
"""
"""As SQLite's, with blobs counted in the rows' bytes but not in what an older checkpoint
holds: a blob may be shared by the latest checkpoint, so a dry run does not count it."""


class _PostgresCheckpoints:
    """PostgresSaver's tables: read through the store's engine, pruned by the saver."""

    name = "postgresql"

    def __init__(self, saver: Any, engine: Engine) -> None:
        self.saver = saver
        self.engine = engine

    def stats(self, thread_ids: Sequence[str]) -> dict[str, CheckpointStats]:
        found: dict[str, CheckpointStats] = {}
        query = text(_POSTGRES_STATS).bindparams(bindparam("ids", expanding=True))
        with self.engine.connect() as conn:
            for chunk in _chunks(thread_ids):
                for row in conn.execute(query, {"ids": list(chunk)}):
                    found[row[0]] = CheckpointStats(*(int(v or 0) for v in row[1:]))
        return found

    def prune(self, thread_id: str) -> None:
        self.saver.prune([thread_id], strategy="keep_latest")

    def storage(self) -> Storage:
        sizes = " + ".join(
            f"coalesce(pg_total_relation_size(to_regclass('{t}')), 0)" for t in _POSTGRES_TABLES
        )
        with self.engine.connect() as conn:
            return Storage(int(conn.execute(text(f"SELECT {sizes}")).scalar_one()), None)
