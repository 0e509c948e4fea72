"""Per-run settings and collaborators, passed to every node as `runtime.context`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from langchain_core.tools import BaseTool

from agents import Agent
from store.base import AuditStore
from tools.evidence import ToolName
from workflows.tracing import TraceRecorder

__all__ = ["AuditContext", "GuardPolicy"]


@dataclass(frozen=True)
class GuardPolicy:
    """The thresholds of the rules no model may overrule."""

    confidence_bar: float = 0.75
    """Below this confidence, a decision touching a high or critical area goes to a human."""
    guarded_severities: frozenset[str] = frozenset({"high", "critical"})


@dataclass(frozen=True)
class AuditContext:
    """Built once from settings; nodes read it and never the environment."""

    store: AuditStore
    recorder: TraceRecorder
    agent: Agent
    tools: Mapping[ToolName, BaseTool]
    escalation_tool: BaseTool
    policy_version: str
    guard: GuardPolicy = GuardPolicy()
