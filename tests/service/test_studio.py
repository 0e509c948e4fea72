"""The graph LangGraph's dev server loads (langgraph.json) records its runs like every other door.

These drive the studio graph in-process; tests/service/test_dev_server.py drives the real
dev server through an interrupt, a restart and a resume.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command
from typer.testing import CliRunner

from auditgraph.service import studio
from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_store
from auditgraph.store import RunNotFound, SqlAuditStore
from auditgraph.store.chain import review_digest
from auditgraph.tools.case import CaseError
from auditgraph.workflows import Auditor, ReviewError
from auditgraph.workflows.context import set_default_context
from tests.conftest import CASES, ROOT, load_case

REVIEW = {"reviewer": "alice", "decision": "approve", "reason": "Receipt checked; genuine."}


@pytest.fixture
def store(settings: Settings) -> Iterator[SqlAuditStore]:
    """The studio graph's default context, built afresh on this test's database."""
    studio._context.cache_clear()
    set_default_context(studio._context)
    try:
        yield open_store(settings)
    finally:
        studio._context.cache_clear()
        set_default_context(None)


def _restart() -> None:
    """What a server restart leaves: a new context whose recorder never saw the run."""
    studio._context.cache_clear()


def _strict_graph() -> CompiledStateGraph:
    """The studio graph as the dev server runs it: a copy given a saver that revives nothing
    it is not told to (what LANGGRAPH_STRICT_MSGPACK=true makes of the server's saver)."""
    saver = InMemorySaver(serde=JsonPlusSerializer(allowed_msgpack_modules=None))
    return studio.graph.copy(update={"checkpointer": saver})


def _thread(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def _verify(run_id: str) -> str:
    result = CliRunner().invoke(app, ["trace", "verify", run_id])
    assert result.exit_code == 0, result.output
    return result.output


def _log_entries(store: SqlAuditStore, run_id: str) -> int:
    return sum(1 for e in store.log_entries() if e["run_id"] == run_id)


def test_langgraph_json_points_at_the_studio_graph() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    module, _, name = config["graphs"]["auditgraph"].partition(":")
    assert getattr(importlib.import_module(module), name) is studio.graph


def test_langgraph_json_names_every_checkpointed_type() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    listed = config["checkpointer"]["serde"]["allowed_msgpack_modules"]
    assert [tuple(entry) for entry in listed] == studio.allowed_checkpoint_types()


def test_a_run_without_a_runner_is_recorded_and_verifies(store: SqlAuditStore) -> None:
    result = studio.graph.invoke({"run_id": "run_studio1", "submission": load_case("switchblade_collector")})
    assert result["decision"].decision == "reject"
    run = store.get_run("run_studio1")
    assert (run.status, run.decision, run.case_kind) == ("completed", "reject", "listing_review")
    assert [d.decision for d in store.decisions("run_studio1")] == ["reject"]
    steps = store.steps("run_studio1")
    assert [s.seq for s in steps] == list(range(1, len(steps) + 1))
    assert [s.node for s in steps if s.kind == "node"][:2] == ["intake", "plan"]
    assert steps[-1].node == "finalize"
    assert run.head_hash == steps[-1].hash
    assert steps[0].kind == "start"
    assert _log_entries(store, "run_studio1") == 2  # started, completed
    assert "ok" in _verify("run_studio1")


def test_a_run_paused_restarted_and_resumed_is_recorded_whole(store: SqlAuditStore) -> None:
    graph = _strict_graph()
    thread = str(uuid.uuid4())
    paused = graph.invoke({"submission": load_case("ip_report_needs_specialist")}, _thread(thread))
    run_id = f"run_{uuid.UUID(thread).hex}"
    assert paused["run_id"] == run_id and "__interrupt__" in paused
    assert store.get_run(run_id).status == "awaiting_review"
    assert [e.run_id for e in store.open_escalations()] == [run_id]
    assert "ok" in _verify(run_id)

    _restart()
    final = graph.invoke(Command(resume=REVIEW), _thread(thread))
    assert final["decision"].decision == "approve"
    run = store.get_run(run_id)
    assert (run.status, run.decision) == ("completed", "approve")
    [review] = store.reviews(run_id)
    assert (review.reviewer, review.decision) == ("alice", "approve")
    assert store.open_escalations() == []
    steps = store.steps(run_id)
    assert [s.seq for s in steps] == list(range(1, len(steps) + 1))
    assert _log_entries(store, run_id) == 4  # started, paused, review recorded, completed
    assert "ok" in _verify(run_id)


def test_a_review_resumed_on_the_graph_is_checked_before_it_claims_the_escalation(
    store: SqlAuditStore,
) -> None:
    graph = _strict_graph()
    thread = str(uuid.uuid4())
    graph.invoke({"submission": load_case("ip_report_needs_specialist")}, _thread(thread))
    run_id = f"run_{uuid.UUID(thread).hex}"
    wrong = {**REVIEW, "decision": "reject", "clause_ids": ["NOPE-1"]}
    asked = graph.invoke(Command(resume=wrong), _thread(thread))["__interrupt__"][0].value
    assert asked["refused"].startswith("unknown clause ids ['NOPE-1'] in policy pack")
    asked = graph.invoke(Command(resume={"reviewer": "alice"}), _thread(thread))["__interrupt__"][0].value
    assert asked["refused"].startswith("invalid review: decision")
    assert store.reviews(run_id) == []
    assert [e.run_id for e in store.open_escalations()] == [run_id]
    assert store.get_run(run_id).status == "awaiting_review"

    final = graph.invoke(Command(resume=REVIEW), _thread(thread))
    assert final["decision"].decision == "approve"
    assert [r.decision for r in store.reviews(run_id)] == ["approve"]
    assert "ok" in _verify(run_id)


def test_a_review_resumed_on_the_graph_with_a_stale_digest_is_asked_again(store: SqlAuditStore) -> None:
    graph = _strict_graph()
    thread = str(uuid.uuid4())
    graph.invoke({"submission": load_case("ip_report_needs_specialist")}, _thread(thread))
    run_id = f"run_{uuid.UUID(thread).hex}"
    escalation = store.escalation(run_id)
    assert escalation is not None
    digest = review_digest(store.get_run(run_id), escalation)
    stale = {**REVIEW, "reviewer_role": "reviewer", "review_digest": "0" * 64}
    asked = graph.invoke(Command(resume=stale), _thread(thread))["__interrupt__"][0].value
    assert "changed since the reviewer read it" in asked["refused"]
    assert store.reviews(run_id) == []

    graph.invoke(Command(resume={**stale, "review_digest": digest}), _thread(thread))
    (review,) = store.reviews(run_id)
    assert (review.reviewer_role, review.review_digest) == ("reviewer", digest)
    assert "ok" in _verify(run_id)


def test_a_run_id_is_derived_from_any_thread_id_the_same_way(store: SqlAuditStore) -> None:
    graph = _strict_graph()
    graph.invoke({"submission": load_case("switchblade_collector")}, _thread("studio thread 7"))
    [run] = store.list_runs()
    assert run.run_id.startswith("run_") and run.status == "completed"
    graph2 = _strict_graph()
    with pytest.raises(ValueError, match="already recorded"):
        graph2.invoke({"submission": load_case("switchblade_collector")}, _thread("studio thread 7"))


def test_no_run_id_and_no_thread_is_a_plain_error(store: SqlAuditStore) -> None:
    with pytest.raises(ValueError, match="has no run_id: pass one in the input"):
        studio.graph.invoke({"submission": load_case("switchblade_collector")})
    assert store.list_runs() == []


def test_an_invalid_case_records_nothing(store: SqlAuditStore) -> None:
    broken = {**load_case("switchblade_collector"), "kind": "nonsense"}
    with pytest.raises(CaseError):
        studio.graph.invoke({"run_id": "run_broken", "submission": broken})
    with pytest.raises(RunNotFound):
        store.get_run("run_broken")
    assert store.steps("run_broken") == []


def test_a_dev_server_run_is_not_claimed_by_a_review_that_cannot_finish_it(
    auditor: Auditor, store: SqlAuditStore
) -> None:
    thread = str(uuid.uuid4())
    _strict_graph().invoke({"submission": load_case("ip_report_needs_specialist")}, _thread(thread))
    run_id = f"run_{uuid.UUID(thread).hex}"
    with pytest.raises(ReviewError, match="has no checkpoint in this database"):
        auditor.review(run_id, REVIEW)
    assert [e.run_id for e in store.open_escalations()] == [run_id]
    assert store.reviews(run_id) == []


def test_runs_of_the_auditor_are_recorded_once(auditor: Auditor, store: SqlAuditStore) -> None:
    assert auditor.context.records_runs is False
    first = auditor.audit(load_case("ip_report_needs_specialist"))
    auditor.review(first.run_id, REVIEW)
    assert _log_entries(store, first.run_id) == 4  # started, paused, review recorded, completed
    assert [d.decision for d in store.decisions(first.run_id)] == ["approve"]


def test_graph_without_context_says_how_to_give_one() -> None:
    from auditgraph.workflows import build_graph

    submission = json.loads((CASES / "switchblade_collector.json").read_text())
    with pytest.raises(RuntimeError, match="needs an AuditContext"):
        build_graph(context_schema=None).invoke({"run_id": "r", "submission": submission})
