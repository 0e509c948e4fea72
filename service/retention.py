"""Retention as a job: one pass over the database the settings name, for the CLI now and
for a periodic task of the worker later.

The rules are in `workflows.retention`; this opens the database (the audit store and the
checkpointer, as every door does) and applies `AUDITGRAPH_RETENTION_RECORD_DAYS` and
`AUDITGRAPH_RETENTION_CHECKPOINT_DAYS`.
"""

from __future__ import annotations

from auditgraph.service.database import open_database
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import signer
from auditgraph.store import SqlAuditStore
from auditgraph.workflows.retention import RetentionReport, apply_retention

__all__ = ["run_retention"]


def run_retention(settings: Settings, *, dry_run: bool = False) -> RetentionReport:
    """Delete the records of runs finished more than `settings.retention_record_days` days
    ago (when set), then prune the checkpoints of runs finished more than
    `settings.retention_checkpoint_days` days ago (keeping each one's latest), skipping
    open runs and held cases; `dry_run` changes nothing.

    Raises:
        ValueError: the database keeps its checkpoints in memory (nothing to prune).
        StoreError, SQLAlchemyError: the database cannot be opened or read.
    """
    with open_database(settings.database_url) as database:
        store = SqlAuditStore(database.engine, signer=signer(settings))
        return apply_retention(
            store,
            database.checkpointer,
            checkpoint_days=settings.retention_checkpoint_days,
            record_days=settings.retention_record_days,
            dry_run=dry_run,
        )
