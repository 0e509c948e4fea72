"""The audit record: runs, trace steps, escalations, reviews and decisions, in SQL or memory."""

from auditgraph.store.base import AuditStore, ReviewConflict, RunNotFound, StoreError
from auditgraph.store.engine import make_engine, sqlite_path
from auditgraph.store.leases import Lease, LeaseError, LeaseStore
from auditgraph.store.memory import MemoryAuditStore
from auditgraph.store.records import (
    Decision,
    DecisionRecord,
    EscalationRecord,
    FinalDecision,
    ReviewRecord,
    RunRecord,
    RunStatus,
    StepKind,
    TraceStep,
    new_id,
    utcnow,
)
from auditgraph.store.search import RunCursor, RunFilter
from auditgraph.store.sql import SqlAuditStore
from auditgraph.store.submissions import Submission, SubmissionStore

__all__ = [
    "AuditStore",
    "Decision",
    "DecisionRecord",
    "EscalationRecord",
    "FinalDecision",
    "Lease",
    "LeaseError",
    "LeaseStore",
    "MemoryAuditStore",
    "ReviewConflict",
    "ReviewRecord",
    "RunCursor",
    "RunFilter",
    "RunNotFound",
    "RunRecord",
    "RunStatus",
    "SqlAuditStore",
    "StepKind",
    "StoreError",
    "Submission",
    "SubmissionStore",
    "TraceStep",
    "make_engine",
    "new_id",
    "sqlite_path",
    "utcnow",
]
