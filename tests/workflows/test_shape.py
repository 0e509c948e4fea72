"""Snapshots of what must not drift silently: the graph, its I/O schemas, a trace's step tree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from auditgraph.tools.case import case_json_schema
from auditgraph.workflows import Auditor, build_graph
from tests.conftest import load_case

SNAPSHOTS = Path(__file__).parent / "snapshots"
_ID = re.compile(r"^(run|step|esc|rev)_[0-9a-f]{16}$")


def _check(name: str, text: str, update: bool) -> None:
    path = SNAPSHOTS / name
    if update or not path.exists():
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; rerun with --update-snapshots if intended"


def test_graph_drawing(update_snapshots: bool) -> None:
    _check("graph.mmd", build_graph().get_graph().draw_mermaid(), update_snapshots)


def test_graph_io_schemas(update_snapshots: bool) -> None:
    graph = build_graph()
    schemas = {
        "input": graph.get_input_jsonschema(),
        "output": sorted(graph.get_output_jsonschema()["properties"]),
        "case": case_json_schema(),
    }
    _check("io_schemas.json", json.dumps(schemas, indent=1, sort_keys=True) + "\n", update_snapshots)


def _normalise(auditor: Auditor, run_id: str) -> list[dict[str, Any]]:
    steps = auditor.store.steps(run_id)
    ids = {s.id for s in steps}
    tree = []
    for s in steps:
        assert _ID.match(s.id) and _ID.match(s.run_id)
        assert s.started.tzinfo is not None and s.ended >= s.started
        assert s.parent_id is None or s.parent_id in ids
        tree.append(
            {
                "depth": 0 if s.parent_id is None else 1,
                "node": s.node,
                "kind": s.kind,
                "error": s.error,
                "agent": s.agent,
                "policy_version": s.policy_version,
            }
        )
    # Tool nodes run in parallel, so their order may vary: compare them as a sorted block.
    return tree


def _canonical(tree: list[dict[str, Any]]) -> list[Any]:
    blocks: list[Any] = []
    i = 0
    while i < len(tree):
        block = [tree[i]]
        i += 1
        while i < len(tree) and tree[i]["depth"] == 1:
            block.append(tree[i])
            i += 1
        blocks.append(block)
    head = [b for b in blocks if b[0]["node"] in ("intake", "plan")]
    tools = sorted(
        (b for b in blocks if b[0]["node"].startswith(("check_", "retrieve_", "screen_"))),
        key=lambda b: b[0]["node"],
    )
    tail = [b for b in blocks if b not in head and b not in tools]
    return [*head, *tools, *tail]


def test_trace_step_tree_of_a_decided_case(auditor: Auditor, update_snapshots: bool) -> None:
    outcome = auditor.audit(load_case("counterfeit_watch_replica"))
    tree = _canonical(_normalise(auditor, outcome.run_id))
    _check("trace_decided.json", json.dumps(tree, indent=1) + "\n", update_snapshots)


def test_trace_step_tree_of_a_reviewed_case(auditor: Auditor, update_snapshots: bool) -> None:
    first = auditor.audit(load_case("ip_report_needs_specialist"))
    auditor.review(first.run_id, {"reviewer": "alice", "decision": "approve", "reason": "genuine"})
    tree = _canonical(_normalise(auditor, first.run_id))
    _check("trace_reviewed.json", json.dumps(tree, indent=1) + "\n", update_snapshots)
