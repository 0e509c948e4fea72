"""The audit graph for LangGraph's dev server and Studio (`langgraph dev`, see langgraph.json).

The server brings its own checkpointer and starts runs on the graph without an
`AuditContext`, so this module registers a default one wired from `Settings` (built on
first use, then shared). No runner records these runs, so the graph records them itself
(`AuditContext.records_runs`, workflows/entry.py): the run row, the trace, the pause at
review, the decision and the signed log entries, in the configured audit store like any
other run.

Checkpoints: the server's saver revives only the types its msgpack allowlist names when
`LANGGRAPH_STRICT_MSGPACK=true`. langgraph.json names the state's types under
`checkpointer.serde.allowed_msgpack_modules`, the documented key; langgraph-api 0.16 does not
apply that key to msgpack, and the copy of the graph the server runs drops the allowlist
LangGraph derives from the state schema. So the graph below hands every saver the server
gives it the same allowlist (`allowed_checkpoint_types`), and a test keeps langgraph.json
equal to it.
"""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from functools import cache
from typing import Any, Self

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph

from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.workflows import AuditContext, StoreRecorder, build_graph
from auditgraph.workflows.checkpoint import state_model_types
from auditgraph.workflows.context import set_default_context

__all__ = ["allowed_checkpoint_types", "graph"]

_resources = ExitStack()


@cache
def _context() -> AuditContext:
    auditor = _resources.enter_context(open_auditor(Settings()))
    # No runner closes these runs, so each node's steps are written as it ends, and a run
    # resumed after a restart numbers its steps after those stored.
    recorder = StoreRecorder(
        auditor.store,
        include_sensitive=auditor.recorder.include_sensitive,
        mask_personal_data=auditor.recorder.mask_personal_data,
        write="node",
        continue_from_store=True,
    )
    return dataclasses.replace(auditor.context, recorder=recorder, records_runs=True)


def allowed_checkpoint_types() -> list[tuple[str, str]]:
    """The (module, class) of every model the graph's checkpoints may revive, sorted."""
    return sorted((t.__module__, t.__qualname__) for t in state_model_types())


class _AllowlistedGraph(CompiledStateGraph):
    """The compiled graph, whose copies restrict the saver they are given to the state's types.

    The server runs `graph.copy(update={"checkpointer": saver, ...})`; `with_allowlist` (a
    no-op unless the saver is strict) is how LangGraph itself narrows a saver to a graph.
    """

    def copy(self, update: dict[str, Any] | None = None) -> Self:
        update = dict(update or {})
        saver = update.get("checkpointer")
        if isinstance(saver, BaseCheckpointSaver):
            update["checkpointer"] = saver.with_allowlist(allowed_checkpoint_types())
        return super().copy(update)


def _graph() -> CompiledStateGraph:
    built = build_graph(context_schema=None)
    return _AllowlistedGraph(**{k: v for k, v in built.__dict__.items() if k != "__orig_class__"})


set_default_context(_context)

graph: CompiledStateGraph = _graph()
"""The graph the dev server loads; it checkpoints with the server's own saver."""
