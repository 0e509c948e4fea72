"""What a planner returns: the evidence tools to call, with their arguments."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from auditgraph.agents.calls import ModelCall
from auditgraph.tools.evidence import ToolName

__all__ = ["Plan", "ToolCall"]


class ToolCall(BaseModel):
    """One evidence tool to call."""

    model_config = ConfigDict(frozen=True)

    tool: ToolName
    """Which tool."""
    args: dict[str, Any]
    """Its arguments, validated by the tool's own schema when it runs."""


class Plan(BaseModel):
    """The evidence to gather for one case. Tools in a plan run in parallel."""

    model_config = ConfigDict(frozen=True)

    calls: list[ToolCall] = Field(min_length=1)
    rationale: str
    """Why these tools, in a sentence."""
    model_calls: list[ModelCall] = Field(default_factory=list)
    """Each attempt at a model call made to plan (none for the rules planner)."""
