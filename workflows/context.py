"""Per-run settings and collaborators, passed to every node as `runtime.context`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from langchain_core.tools import BaseTool
from langgraph.runtime import Runtime

from auditgraph.agents import Agent
from auditgraph.store.base import AuditStore
from auditgraph.tools.case import Severity
from auditgraph.tools.evidence import ToolName
from auditgraph.tools.policy_retrieval import PolicyPack
from auditgraph.workflows.tracing import TraceRecorder

__all__ = ["AuditContext", "GuardPolicy", "context_of", "set_default_context"]


@dataclass(frozen=True)
class GuardPolicy:
    """The thresholds of the rules no model may overrule."""

    confidence_bar: float = 0.75
    """Below this confidence, a decision touching a high or critical area goes to a human."""
    guarded_severities: frozenset[Severity] = frozenset({"high", "critical"})


@dataclass(frozen=True)
class AuditContext:
    """Built once from settings; nodes read it and never the environment."""

    store: AuditStore
    recorder: TraceRecorder
    agent: Agent
    tools: Mapping[ToolName, BaseTool]
    escalation_tool: BaseTool
    policy: PolicyPack
    """The policy pack in force (its version is on every step)."""
    guard: GuardPolicy = GuardPolicy()
    mask_personal_data: bool = True
    """Mask personal data in the decision and review records this run writes."""
    records_runs: bool = False
    """The graph records each run's start, pause and end itself (`workflows.entry`): for
    runs started on the graph directly, as LangGraph's dev server does. False when a runner
    (`Auditor`) records them, so no run is recorded twice."""

    @property
    def policy_version(self) -> str:
        """The version of the policy pack in force."""
        return self.policy.version


_default_context: Callable[[], AuditContext] | None = None


def set_default_context(factory: Callable[[], AuditContext] | None) -> None:
    """Register how to build a context for runs started without one.

    Only dev tooling needs this: LangGraph's dev server and Studio start runs with the
    JSON context a form can hold, not with a store and tools. Every door of the service
    passes a context explicitly.
    """
    global _default_context
    _default_context = factory


def context_of(runtime: Runtime[AuditContext]) -> AuditContext:
    """The run's context, or the registered default when the caller passed none.

    Raises:
        RuntimeError: no context was passed and no default is registered.
    """
    context = runtime.context
    if isinstance(context, AuditContext):
        return context
    if _default_context is None:
        raise RuntimeError(
            "the audit graph needs an AuditContext: invoke it with context=..., "
            "or use workflows.Auditor, which does"
        )
    return _default_context()
