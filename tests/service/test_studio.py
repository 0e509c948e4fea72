"""The graph LangGraph's dev server loads (langgraph.json) runs without a context and records its trace."""

from __future__ import annotations

import json

import pytest

from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_store
from tests.conftest import CASES, ROOT


def test_langgraph_json_points_at_the_studio_graph() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    module, _, name = config["graphs"]["auditgraph"].partition(":")
    assert (ROOT / module).is_file() and name == "graph"


def test_studio_graph_runs_with_the_default_context(settings: Settings) -> None:
    from auditgraph.service import studio  # registers the default context on import

    try:
        submission = json.loads((CASES / "switchblade_collector.json").read_text())
        result = studio.graph.invoke({"run_id": "studio-test", "submission": submission})
        assert result["decision"].decision == "reject"
        steps = open_store(settings).steps("studio-test")
        assert [s.node for s in steps if s.kind == "node"][:2] == ["intake", "plan"]
        assert steps[-1].node == "finalize"
    finally:
        studio.set_default_context(None)


def test_graph_without_context_says_how_to_give_one() -> None:
    from auditgraph.workflows import build_graph

    submission = json.loads((CASES / "switchblade_collector.json").read_text())
    with pytest.raises(RuntimeError, match="needs an AuditContext"):
        build_graph(context_schema=None).invoke({"run_id": "r", "submission": submission})
