"""Adjudicators: turn evidence and retrieved clauses into a verdict."""

from agents.adjudicator.rules import RulesAdjudicator
from agents.adjudicator.schema import Verdict

__all__ = ["RulesAdjudicator", "Verdict"]
