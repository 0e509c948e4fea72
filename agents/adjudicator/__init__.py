"""Adjudicators: turn evidence and retrieved clauses into a verdict."""

from auditgraph.agents.adjudicator.rules import RulesAdjudicator
from auditgraph.agents.adjudicator.schema import Verdict

__all__ = ["RulesAdjudicator", "Verdict"]
