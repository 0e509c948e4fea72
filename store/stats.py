"""Counts over the whole audit record, for metrics and dashboards: one query each.

They read only indexed or narrow columns and never the trace's payloads, so a scrape of
`/metrics` stays cheap while the record grows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from auditgraph.store.tables import EscalationRow, RunRow, StepRow

__all__ = [
    "CHECKPOINT_TABLES",
    "ModelUsage",
    "RecordCounts",
    "checkpoint_bytes",
    "count_record",
    "model_usage",
]


@dataclass(frozen=True)
class RecordCounts:
    """Where the record stands now."""

    runs: dict[tuple[str, str], int] = field(default_factory=dict)
    """Runs by (status, decision); decision is "" while there is none."""
    open_escalations: dict[str, int] = field(default_factory=dict)
    """Open escalations by queue."""
    escalation_reasons: dict[str, int] = field(default_factory=dict)
    """Escalations ever opened, by each reason the guard or agent gave (a case may give several)."""


@dataclass(frozen=True)
class ModelUsage:
    """A run's decider calls: attempts, tokens and priced cost."""

    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: float


def count_record(engine: Engine) -> RecordCounts:
    """Runs by status and decision, open escalations by queue, escalations by reason."""
    with engine.connect() as conn:
        runs = conn.execute(
            select(RunRow.status, RunRow.decision, func.count()).group_by(RunRow.status, RunRow.decision)
        ).all()
        queues = conn.execute(
            select(EscalationRow.queue, func.count())
            .where(EscalationRow.status == "open")
            .group_by(EscalationRow.queue)
        ).all()
        reasons: Counter[str] = Counter()
        for (listed,) in conn.execute(select(EscalationRow.reasons)):
            # A reason reads "kind: detail"; its kind is the label (the detail is per case).
            reasons.update({str(r).split(":", 1)[0].strip()[:60] for r in listed or []})
    return RecordCounts(
        runs={(status, decision or ""): n for status, decision, n in runs},
        open_escalations=dict(queues),
        escalation_reasons=dict(reasons),
    )


def model_usage(engine: Engine, run_id: str) -> ModelUsage:
    """The decider calls one run made (its `model` steps that name a purpose)."""
    query = select(
        func.count(), func.sum(StepRow.tokens_in), func.sum(StepRow.tokens_out), func.sum(StepRow.cost_usd)
    ).where(col(StepRow.run_id) == run_id, col(StepRow.kind) == "model", col(StepRow.tokens_in).is_not(None))
    with engine.connect() as conn:
        calls, tokens_in, tokens_out, cost = conn.execute(query).one()
    return ModelUsage(int(calls or 0), int(tokens_in or 0), int(tokens_out or 0), float(cost or 0.0))


CHECKPOINT_TABLES = {
    "postgresql": ("checkpoints", "checkpoint_blobs", "checkpoint_writes"),
    "sqlite": ("checkpoints", "writes"),
}
"""LangGraph's checkpoint tables, by database (its savers create them)."""


def checkpoint_bytes(engine: Engine) -> int | None:
    """Bytes the checkpoint tables take on disk (with their indexes and TOAST on PostgreSQL);
    None when they do not exist yet or the size cannot be read."""
    tables = CHECKPOINT_TABLES.get(engine.dialect.name)
    if tables is None:
        return None
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                sizes = [
                    conn.execute(
                        text("SELECT pg_total_relation_size(to_regclass(:t))"), {"t": table}
                    ).scalar()
                    for table in tables
                ]
                found = [s for s in sizes if s is not None]
                return int(sum(found)) if found else None
            # dbstat counts every page of the table and its indexes.
            names = ", ".join(f"'{t}'" for t in tables)
            size = conn.execute(
                text(
                    f"SELECT sum(pgsize) FROM dbstat WHERE name IN ({names}) "
                    f"OR name IN (SELECT name FROM sqlite_master WHERE tbl_name IN ({names}))"
                )
            ).scalar()
            return None if size is None else int(size)
    except SQLAlchemyError:
        return None
