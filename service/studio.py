"""The audit graph for LangGraph's dev server and Studio (`langgraph dev`, see langgraph.json).

The server brings its own checkpointer and starts runs without an `AuditContext`, so
this module registers a default one wired from `Settings` (built on first use, then
shared). Runs started here are recorded in the configured audit store like any other.
"""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from functools import cache

from langgraph.graph.state import CompiledStateGraph

from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.workflows import AuditContext, StoreRecorder, build_graph
from auditgraph.workflows.context import set_default_context

__all__ = ["graph"]

_resources = ExitStack()


@cache
def _context() -> AuditContext:
    auditor = _resources.enter_context(open_auditor(Settings()))
    # No runner closes these runs, so each node's steps are written as it ends.
    recorder = StoreRecorder(
        auditor.store,
        include_sensitive=auditor.recorder.include_sensitive,
        mask_personal_data=auditor.recorder.mask_personal_data,
        write="node",
    )
    return dataclasses.replace(auditor.context, recorder=recorder)


set_default_context(_context)

graph: CompiledStateGraph = build_graph(context_schema=None)
"""The graph the dev server loads; it checkpoints with the server's own saver."""
