"""The audit graph: the only place nodes and edges are declared.

intake -> plan -> (evidence tools, in parallel) -> adjudicate -> guard
    guard -> finalize
    guard -> escalate -> await_review (interrupt) -> finalize
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from auditgraph.workflows import nodes
from auditgraph.workflows.context import AuditContext
from auditgraph.workflows.state import AuditState, InputState, OutputState

__all__ = ["build_graph"]


def build_graph(
    *, checkpointer: Checkpointer = None, context_schema: type[AuditContext] | None = AuditContext
) -> CompiledStateGraph:
    """Compile the audit graph, checkpointed by `checkpointer` if given.

    `context_schema=None` is for servers that pass a JSON context LangGraph would try to
    build an `AuditContext` from; nodes then use the registered default context.
    """
    builder = StateGraph(
        AuditState, context_schema=context_schema, input_schema=InputState, output_schema=OutputState
    )
    builder.add_node("intake", nodes.intake)
    builder.add_node("plan", nodes.plan)
    for node in nodes.TOOL_NODES.values():
        builder.add_node(node, nodes.gather)
    builder.add_node("adjudicate", nodes.adjudicate)
    builder.add_node("guard", nodes.guard)
    builder.add_node("escalate", nodes.escalate)
    builder.add_node("await_review", nodes.await_review)
    builder.add_node("finalize", nodes.finalize)

    builder.add_edge(START, "intake")
    builder.add_edge("intake", "plan")
    builder.add_conditional_edges("plan", nodes.route_after_plan, list(nodes.TOOL_NODES.values()))
    for node in nodes.TOOL_NODES.values():
        builder.add_edge(node, "adjudicate")
    builder.add_edge("adjudicate", "guard")
    builder.add_conditional_edges("guard", nodes.route_after_guard, ["finalize", "escalate"])
    builder.add_edge("escalate", "await_review")
    builder.add_edge("await_review", "finalize")
    builder.add_edge("finalize", END)
    return builder.compile(checkpointer=checkpointer, name="auditgraph")
