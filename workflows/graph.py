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
from auditgraph.workflows.trace_contract import Node

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
    builder.add_node(Node.INTAKE, nodes.intake)
    builder.add_node(Node.PLAN, nodes.plan)
    for node in nodes.TOOL_NODES.values():
        builder.add_node(node, nodes.gather)
    builder.add_node(Node.ADJUDICATE, nodes.adjudicate)
    builder.add_node(Node.GUARD, nodes.guard)
    builder.add_node(Node.ESCALATE, nodes.escalate)
    builder.add_node(Node.AWAIT_REVIEW, nodes.await_review)
    builder.add_node(Node.FINALIZE, nodes.finalize)

    builder.add_edge(START, Node.INTAKE)
    builder.add_edge(Node.INTAKE, Node.PLAN)
    builder.add_conditional_edges(Node.PLAN, nodes.route_after_plan, list(nodes.TOOL_NODES.values()))
    for node in nodes.TOOL_NODES.values():
        builder.add_edge(node, Node.ADJUDICATE)
    builder.add_edge(Node.ADJUDICATE, Node.GUARD)
    builder.add_conditional_edges(Node.GUARD, nodes.route_after_guard, [Node.FINALIZE, Node.ESCALATE])
    builder.add_edge(Node.ESCALATE, Node.AWAIT_REVIEW)
    builder.add_edge(Node.AWAIT_REVIEW, Node.FINALIZE)
    builder.add_edge(Node.FINALIZE, END)
    return builder.compile(checkpointer=checkpointer, name="auditgraph")
