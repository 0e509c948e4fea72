"""Checkpoint serialisation: only the project's own state types may be revived.

LangGraph revives pydantic models stored in checkpoints by module and class name; an
explicit allowlist keeps a tampered checkpoint from naming any other class.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import BaseModel

from auditgraph.agents import Plan, ToolCall, Verdict
from auditgraph.store.records import DecisionRecord, EscalationRecord, ReviewRecord
from auditgraph.tools import EVIDENCE_TYPES
from auditgraph.tools.case import IpReport, ListingReview, SellerAppeal
from auditgraph.workflows.state import GuardOutcome

__all__ = ["checkpoint_serde", "state_model_types"]

_ROOTS: tuple[type[BaseModel], ...] = (
    ListingReview,
    SellerAppeal,
    IpReport,
    Plan,
    ToolCall,
    Verdict,
    GuardOutcome,
    EscalationRecord,
    ReviewRecord,
    DecisionRecord,
    *EVIDENCE_TYPES.values(),
)


def state_model_types() -> set[type[BaseModel]]:
    """Every pydantic model that can appear in the graph state, nested ones included."""
    found: set[type[BaseModel]] = set()
    pending: list[Any] = list(_ROOTS)
    while pending:
        item = pending.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            if item in found:
                continue
            found.add(item)
            pending += [f.annotation for f in item.model_fields.values()]
        elif isinstance(item, types.UnionType) or typing.get_origin(item) is not None:
            pending += list(typing.get_args(item))
    return found


def checkpoint_serde() -> JsonPlusSerializer:
    """A serializer that revives the state's own types and refuses any other class."""
    return JsonPlusSerializer(
        allowed_msgpack_modules=sorted(state_model_types(), key=lambda t: t.__qualname__)
    )
