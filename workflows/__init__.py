"""The audit workflow: the LangGraph graph, its nodes, the guard and the runner."""

from auditgraph.workflows.context import AuditContext, GuardPolicy
from auditgraph.workflows.erasure import ErasureReport, erase_seller
from auditgraph.workflows.graph import build_graph
from auditgraph.workflows.nodes import ReviewInput
from auditgraph.workflows.runner import (
    AuditFailed,
    Auditor,
    ReviewError,
    ReviewTaken,
    RunOutcome,
    StaleReview,
)
from auditgraph.workflows.tracing import RecordingError, StoreRecorder, TraceRecorder

__all__ = [
    "AuditContext",
    "AuditFailed",
    "Auditor",
    "ErasureReport",
    "GuardPolicy",
    "RecordingError",
    "ReviewError",
    "ReviewInput",
    "ReviewTaken",
    "RunOutcome",
    "StaleReview",
    "StoreRecorder",
    "TraceRecorder",
    "build_graph",
    "erase_seller",
]
