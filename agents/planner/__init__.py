"""Planners: which evidence tools a case needs, with which arguments."""

from agents.planner.rules import RulesPlanner
from agents.planner.schema import Plan, ToolCall

__all__ = ["Plan", "RulesPlanner", "ToolCall"]
