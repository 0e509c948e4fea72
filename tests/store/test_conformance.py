"""One contract, every store: in-memory, SQLite, and PostgreSQL when one answers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from auditgraph.store import (
    AuditStore,
    DecisionRecord,
    EscalationRecord,
    MemoryAuditStore,
    ReviewRecord,
    RunNotFound,
    RunRecord,
    SqlAuditStore,
    TraceStep,
    make_engine,
    new_id,
    utcnow,
)
from tests.conftest import PostgresRoles


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuditStore]:
    if request.param == "memory":
        yield MemoryAuditStore()
        return
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    else:
        engine = make_engine(request.getfixturevalue("fresh_postgres_url"))
    yield SqlAuditStore(engine)
    engine.dispose()


def _run(case_id: str = "case-1", **extra: object) -> RunRecord:
    return RunRecord(
        run_id=new_id("run"),
        case_id=case_id,
        case_kind="listing_review",
        agent="rules",
        agent_version="v1",
        policy_version="p1",
        **extra,
    )


def _escalation(run: RunRecord, priority: int = 3, queue: str = "fraud", **extra: object) -> EscalationRecord:
    return EscalationRecord(
        run_id=run.run_id,
        case_id=run.case_id,
        queue=queue,
        priority=priority,
        reasons=["r"],
        agent_decision="escalate",
        **extra,
    )


def test_run_lifecycle(store: AuditStore) -> None:
    run = _run()
    first = store.start_run(run, {"case_id": "case-1", "listing": {"title": "x"}})
    assert (first.seq, first.kind, first.prev_hash) == (1, "start", "")
    assert store.get_run(run.run_id).status == "running"
    assert store.get_case(run.run_id) == {"case_id": "case-1", "listing": {"title": "x"}}
    decision = DecisionRecord(
        run_id=run.run_id,
        case_id="case-1",
        decision="reject",
        decided_by="agent",
        clause_ids=["CIP-1"],
        confidence=0.9,
        rationale="r",
    )
    step = TraceStep(run_id=run.run_id, case_id=run.case_id, seq=2, node="finalize", kind="node")
    store.finish_run(run.run_id, "completed", decision=decision, steps=[step])
    assert store.decisions(run.run_id) == [decision]
    assert store.steps(run.run_id) == [first, step]
    done = store.get_run(run.run_id)
    assert (done.status, done.decision) == ("completed", "reject")
    assert done.ended is not None and done.ended.tzinfo is not None
    assert done.started == run.started


def test_unknown_run(store: AuditStore) -> None:
    with pytest.raises(RunNotFound, match="run_nope"):
        store.get_run("run_nope")
    with pytest.raises(RunNotFound):
        store.finish_run("run_nope", "failed", error="x")
    assert store.get_case("run_nope") is None
    assert store.steps("run_nope") == []
    assert store.escalation("run_nope") is None
    assert store.reviews("run_nope") == [] and store.decisions("run_nope") == []


def test_list_runs_newest_first_and_by_status(store: AuditStore) -> None:
    now = utcnow()
    runs = [_run(f"c{i}", started=now + timedelta(seconds=i)) for i in range(3)]
    for r in runs:
        store.start_run(r, {})
    store.finish_run(runs[1].run_id, "failed", error="boom")
    assert [r.run_id for r in store.list_runs()] == [r.run_id for r in reversed(runs)]
    assert [r.run_id for r in store.list_runs(limit=1)] == [runs[2].run_id]
    assert [r.run_id for r in store.list_runs(status="failed")] == [runs[1].run_id]


def test_steps_come_back_in_seq_order_with_their_payloads(store: AuditStore) -> None:
    run = _run()
    store.start_run(run, {})
    steps = [
        TraceStep(
            run_id=run.run_id,
            case_id=run.case_id,
            seq=i,
            node=f"n{i}",
            kind="node",
            output={"i": i, "nested": [1, {"a": "é"}]},
        )
        for i in (4, 2, 3)
    ]
    store.record_steps(steps)
    back = store.steps(run.run_id)[1:]  # after the start record
    assert [s.seq for s in back] == [2, 3, 4]
    assert back[0].output == {"i": 2, "nested": [1, {"a": "é"}]}
    assert back[0].started.tzinfo is not None
    assert back[0] == next(s for s in steps if s.seq == 2)


def test_steps_of_some_kinds_only(store: AuditStore) -> None:
    run = _run()
    store.start_run(run, {})
    kinds = ["node", "model", "tool", "guard", "model"]
    store.record_steps(
        [
            TraceStep(run_id=run.run_id, case_id=run.case_id, seq=i, node=f"n{i}", kind=kind)  # type: ignore[arg-type]
            for i, kind in enumerate(kinds, start=2)
        ]
    )
    picked = store.steps(run.run_id, kinds=("model", "guard"))
    assert [(s.seq, s.kind) for s in picked] == [(3, "model"), (5, "guard"), (6, "model")]
    assert store.steps(run.run_id, kinds=()) == []
    assert len(store.steps(run.run_id)) == len(kinds) + 1


def test_open_escalation_is_idempotent_per_run(store: AuditStore) -> None:
    run = _run()
    store.start_run(run, {})
    first = store.open_escalation(_escalation(run))
    second = store.open_escalation(_escalation(run, priority=1))
    assert second == first
    assert store.escalation(run.run_id) == first


def test_open_escalations_most_urgent_then_oldest(store: AuditStore) -> None:
    now = utcnow()
    made = []
    for i, (priority, queue) in enumerate([(3, "fraud"), (1, "regulated-goods"), (3, "fraud"), (2, "fraud")]):
        run = _run(f"c{i}")
        store.start_run(run, {})
        made.append(
            store.open_escalation(_escalation(run, priority, queue, opened_at=now + timedelta(seconds=i)))
        )
    order = [e.escalation_id for e in store.open_escalations()]
    assert order == [
        made[1].escalation_id,
        made[3].escalation_id,
        made[0].escalation_id,
        made[2].escalation_id,
    ]
    assert [e.queue for e in store.open_escalations(queue="regulated-goods")] == ["regulated-goods"]


def test_review_resolves_the_escalation_and_decisions_append(store: AuditStore) -> None:
    run = _run()
    store.start_run(run, {})
    esc = store.open_escalation(_escalation(run))
    review = ReviewRecord(
        run_id=run.run_id, escalation_id=esc.escalation_id, reviewer="ann", decision="reject",
        reason="r", clause_ids=["CIP-1"], agent_decision="approve", overrode_agent=True,
    )  # fmt: skip
    store.record_review(review)
    assert store.open_escalations() == []
    assert store.escalation(run.run_id).status == "resolved"
    assert store.reviews(run.run_id) == [review]
    agent = DecisionRecord(
        run_id=run.run_id,
        case_id="case-1",
        decision="approve",
        decided_by="agent",
        clause_ids=[],
        confidence=0.9,
        rationale="a",
    )
    human = DecisionRecord(
        run_id=run.run_id,
        case_id="case-1",
        decision="reject",
        decided_by="reviewer",
        clause_ids=["CIP-1"],
        confidence=None,
        rationale="b",
    )
    store.record_decision(agent)
    store.record_decision(human)
    assert store.decisions(run.run_id) == [agent, human]


@pytest.mark.parametrize("table", ["trace_step", "decision", "review"])
def test_postgres_refuses_updates_and_deletes_of_the_record(
    postgres_url: str, postgres_roles: PostgresRoles, table: str
) -> None:
    """The triggers hold even for the tables' owner (the runtime role has no UPDATE or
    DELETE to try with: tests/store/test_roles.py)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    store = SqlAuditStore(make_engine(postgres_url))
    owner = make_engine(postgres_roles.migration)
    run = _run()
    store.start_run(run, {})
    store.record_steps([TraceStep(run_id=run.run_id, case_id=run.case_id, seq=2, node="intake", kind="node")])
    esc = store.open_escalation(_escalation(run))
    store.record_review(
        ReviewRecord(
            run_id=run.run_id,
            escalation_id=esc.escalation_id,
            reviewer="a",
            decision="approve",
            reason="r",
            agent_decision="escalate",
            overrode_agent=False,
        )
    )
    store.record_decision(
        DecisionRecord(
            run_id=run.run_id,
            case_id="case-1",
            decision="approve",
            decided_by="reviewer",
            clause_ids=[],
            confidence=None,
            rationale="r",
        )
    )
    for statement in (f"UPDATE {table} SET run_id = run_id", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match="append-only"), owner.begin() as conn:
            conn.execute(text(statement))
    assert len(store.steps(run.run_id)) == 2
    store.engine.dispose()
    owner.dispose()
