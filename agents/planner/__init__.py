"""Planners: which evidence tools a case needs, with which arguments."""

from auditgraph.agents.planner.rules import RulesPlanner
from auditgraph.agents.planner.schema import Plan, ToolCall

__all__ = ["Plan", "RulesPlanner", "ToolCall"]
