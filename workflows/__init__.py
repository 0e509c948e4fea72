"""The audit workflow: the LangGraph graph, its nodes, the guard and the runner."""

from workflows.context import AuditContext, GuardPolicy
from workflows.erasure import ErasureReport, erase_seller
from workflows.graph import build_graph
from workflows.nodes import ReviewInput
from workflows.runner import AuditFailed, Auditor, ReviewError, RunOutcome
from workflows.tracing import RecordingError, StoreRecorder, TraceRecorder

__all__ = [
    "AuditContext",
    "AuditFailed",
    "Auditor",
    "ErasureReport",
    "GuardPolicy",
    "RecordingError",
    "ReviewError",
    "ReviewInput",
    "RunOutcome",
    "StoreRecorder",
    "TraceRecorder",
    "build_graph",
    "erase_seller",
]
