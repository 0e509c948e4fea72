"""The trace contract: what the nodes write parses back through it, and nothing else does.

Recovery adopts a `finalize` or a review from the trace when the checkpoint after it was
lost, so these pin the round trip from the writer (a real audit) to the reader
(`trace_contract`, `Recovery.adopt_recorded`), and that a step off the contract is not
adopted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pytest

from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.store.records import StepKind, TraceStep
from auditgraph.workflows import Auditor, build_graph, nodes
from auditgraph.workflows.recovery import Recovery
from auditgraph.workflows.trace_contract import (
    RECOVER,
    REVIEWER,
    FinalizeOutput,
    Kind,
    Node,
    RecoveryOutput,
    ReviewStepOutput,
    last_node_step,
    recorded_review,
)
from tests.conftest import load_case

REVIEW = {"reviewer": "r1", "decision": "reject", "reason": "A replica tote.", "clause_ids": ["CIP-1"]}


def _constants(namespace: type) -> set[str]:
    return {v for k, v in vars(namespace).items() if k.isupper()}


def _finalize_step(auditor: Auditor, run_id: str) -> TraceStep:
    step = last_node_step(auditor.store.steps(run_id))
    assert step is not None and step.node == Node.FINALIZE
    return step


def _changed(step: TraceStep, **update: Any) -> TraceStep:
    return step.model_copy(update=update)


def test_the_names_are_the_graphs_and_the_kinds_are_step_kinds() -> None:
    assert _constants(Node) <= set(build_graph().nodes)
    assert RECOVER not in build_graph().nodes
    assert _constants(Kind) <= set(get_args(StepKind))


@pytest.mark.parametrize("include_sensitive", [True, False])
def test_a_finalize_step_parses_back_into_the_decision_it_recorded(
    tmp_path: Path, include_sensitive: bool
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'audit.db'}", include_sensitive=include_sensitive
    )
    with open_auditor(settings) as auditor:
        outcome = auditor.audit(load_case("switchblade_collector"))
        step = _finalize_step(auditor, outcome.run_id)
        finalized = FinalizeOutput.from_step(step)
        assert finalized is not None
        assert finalized.record == outcome.decision == auditor.store.decisions(outcome.run_id)[0]
        assert (finalized.decision, finalized.decided_by) == ("reject", "agent")
        # Nothing in the written output lies outside the contract, and it dumps back as written.
        assert finalized.model_dump(mode="json") == step.output


def test_a_reviewed_run_parses_back_into_its_review_and_the_reviewers_decision(auditor: Auditor) -> None:
    first = auditor.audit(load_case("injection_in_description"))
    final = auditor.review(first.run_id, REVIEW)
    steps = auditor.store.steps(first.run_id)
    [review] = auditor.store.reviews(first.run_id)

    [reviewed] = [s for s in steps if s.kind == Kind.NODE and s.node == Node.AWAIT_REVIEW and s.output]
    assert ReviewStepOutput.model_validate(reviewed.output) == ReviewStepOutput(
        decision="reject", reviewer="r1"
    )
    assert recorded_review(steps, reviewed) == review
    finalized = FinalizeOutput.from_step(_finalize_step(auditor, first.run_id))
    assert finalized is not None and finalized.record == final.decision
    assert finalized.decided_by == "reviewer"


def _off_contract(step: TraceStep) -> dict[str, TraceStep]:
    output = dict(step.output or {})
    record = dict(output["record"])
    return {
        "another node": _changed(step, node=Node.GUARD),
        "not a node step": _changed(step, kind="tool"),
        "failed": _changed(step, error="RuntimeError: boom"),
        "no output": _changed(step, output=None),
        "no record": _changed(step, output={k: v for k, v in output.items() if k != "record"}),
        "an unknown key": _changed(step, output={**output, "extra": 1}),
        "a record without its decision": _changed(
            step, output={**output, "record": {k: v for k, v in record.items() if k != "decision"}}
        ),
        "an undecided record": _changed(
            step, output={**output, "record": {**record, "decision": "escalate"}}
        ),
    }


def test_a_finalize_step_off_the_contract_does_not_parse(auditor: Auditor) -> None:
    outcome = auditor.audit(load_case("switchblade_collector"))
    step = _finalize_step(auditor, outcome.run_id)
    assert FinalizeOutput.from_step(step) is not None
    for why, changed in _off_contract(step).items():
        assert FinalizeOutput.from_step(changed) is None, why


def test_a_review_off_the_contract_is_not_read(auditor: Auditor) -> None:
    first = auditor.audit(load_case("injection_in_description"))
    auditor.review(first.run_id, REVIEW)
    steps = auditor.store.steps(first.run_id)
    [reviewed] = [s for s in steps if s.kind == Kind.NODE and s.node == Node.AWAIT_REVIEW and s.output]
    [held] = [s for s in steps if s.agent == REVIEWER]
    others = [s for s in steps if s.id != held.id]
    assert recorded_review(steps, reviewed) is not None
    for why, changed in {
        "another agent": _changed(held, agent="rules"),
        "not an interrupt": _changed(held, kind="tool"),
        "another parent": _changed(held, parent_id="step_elsewhere"),
        "a malformed review": _changed(held, output={**(held.output or {}), "decision": "maybe"}),
    }.items():
        assert recorded_review([*others, changed], reviewed) is None, why
    assert recorded_review(steps, _changed(reviewed, node=Node.FINALIZE)) is None


class Killed(BaseException):
    """Stands in for the process dying as `finalize` starts: nothing in the run catches it."""


@pytest.fixture
def killed_before_finalize(
    make_auditor: Callable[..., Auditor], monkeypatch: pytest.MonkeyPatch
) -> tuple[Auditor, str, TraceStep]:
    """A `sync` run stopped with `finalize` pending, and the `finalize` step a run of its case wrote."""
    decided = make_auditor()
    outcome = decided.audit(load_case("switchblade_collector"))
    written = _finalize_step(decided, outcome.run_id)

    def dies(*_: Any) -> Any:
        raise Killed

    monkeypatch.setattr(nodes, "finalize", dies)  # before the graph is built from it
    auditor = make_auditor()
    auditor.durability = "sync"  # type: ignore[assignment]
    auditor.recorder.write = "node"
    with pytest.raises(Killed):
        auditor.audit(load_case("switchblade_collector"), run_id="run_killed")
    return auditor, "run_killed", written


def _recovery(auditor: Auditor) -> Recovery:
    return Recovery(
        store=auditor.store,
        recorder=auditor.recorder,
        graph=auditor.graph,
        agent=auditor.agent.kind,
        config_of=lambda run_id: {"configurable": {"thread_id": run_id}},
    )


def test_a_recorded_finalize_is_adopted_into_the_checkpoint(
    killed_before_finalize: tuple[Auditor, str, TraceStep],
) -> None:
    auditor, run_id, written = killed_before_finalize
    config = {"configurable": {"thread_id": run_id}}
    assert auditor.graph.get_state(config).next == (Node.FINALIZE,)
    steps = [*auditor.store.steps(run_id), written]

    decision = _recovery(auditor).adopt_recorded(run_id, steps)

    assert decision is not None and decision == FinalizeOutput.model_validate(written.output).record
    state = auditor.graph.get_state(config)
    assert state.next == () and state.values["decision"] == decision


def test_a_finalize_step_off_the_contract_is_not_adopted(
    killed_before_finalize: tuple[Auditor, str, TraceStep],
) -> None:
    auditor, run_id, written = killed_before_finalize
    config = {"configurable": {"thread_id": run_id}}
    recovery = _recovery(auditor)
    for why, changed in _off_contract(written).items():
        assert recovery.adopt_recorded(run_id, [*auditor.store.steps(run_id), changed]) is None, why
        # Not applied: the graph still has `finalize` to run, and recovery runs it.
        assert auditor.graph.get_state(config).next == (Node.FINALIZE,), why


def test_a_recovery_step_parses_back(killed_before_finalize: tuple[Auditor, str, TraceStep]) -> None:
    auditor, run_id, _ = killed_before_finalize
    kept = len(auditor.store.steps(run_id))
    with pytest.raises(Killed):  # `finalize` still dies; the recovery step is written before it runs
        auditor.recover(run_id)
    [step] = [s for s in auditor.store.steps(run_id) if s.kind == Kind.RECOVERY]
    assert step.node == RECOVER
    assert step.output == {
        "from": "checkpoint",
        "steps_kept": kept,
        "pending": ["finalize"],
        "agent": "rules",
    }
    assert RecoveryOutput.model_validate(step.output) == RecoveryOutput(
        source="checkpoint", steps_kept=kept, pending=[Node.FINALIZE], agent="rules"
    )
