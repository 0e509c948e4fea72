"""The KPIs on SQLite and PostgreSQL (as the runtime role), figure by figure, on runs built
with known times and outcomes; and each figure's drill-down filter finds exactly its runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from auditgraph.store import AuditStore, MemoryAuditStore, SqlAuditStore, make_engine
from auditgraph.store.kpis import AreaAgreement, Count, Kpis, ModelCost, Spread, compute_kpis, percentile
from auditgraph.store.records import DecisionRecord, EscalationRecord, ReviewRecord, RunRecord, TraceStep
from auditgraph.store.search import RunFilter
from auditgraph.store.tables import RunRow

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
UNTIL = T0 + 24 * H
AS_OF = T0 + 30 * H
SLA = {1: 1.0, 2: 4.0, 3: 24.0, 4: 72.0}
AREAS = {"counterfeit_ip": ("CIP-1", "CIP-2"), "weapons": ("WPN-1",)}


@pytest.fixture
def store(database_url: str) -> Iterator[SqlAuditStore]:
    """The runs below, on a SQLite file or a private PostgreSQL schema."""
    engine = make_engine(database_url)
    built = SqlAuditStore(engine)
    _build(built)
    yield built
    engine.dispose()


def _run(
    store: AuditStore,
    run_id: str,
    at: datetime,
    *,
    decision: str | None = None,
    clauses: tuple[str, ...] = (),
    took: timedelta | None = None,
    escalation: dict[str, Any] | None = None,
    review: tuple[str, datetime] | None = None,
    tokens: tuple[int, int, float] | None = None,
) -> None:
    """A run started at `at`: maybe escalated, maybe reviewed, maybe decided after `took`."""
    run = RunRecord(
        run_id=run_id,
        case_id=f"case_{run_id}",
        case_kind="listing_review",
        agent="llm",
        agent_version="1",
        policy_version="2026.12.1",
        started=at,
    )
    store.start_run(run, {"case_id": run.case_id})
    if tokens is not None:
        step = TraceStep(
            run_id=run_id, case_id=run.case_id, seq=2, node="adjudicate", kind="model", model="m"
        )
        store.record_steps(
            [step.model_copy(update=dict(zip(("tokens_in", "tokens_out", "cost_usd"), tokens, strict=True)))]
        )
    opened = None
    if escalation is not None:
        opened = store.open_escalation(EscalationRecord(run_id=run_id, case_id=run.case_id, **escalation))
        store.finish_run(run_id, "awaiting_review")
    if review is not None:
        assert opened is not None
        decided, when = review
        store.record_review(
            ReviewRecord(
                run_id=run_id,
                escalation_id=opened.escalation_id,
                reviewer="rev",
                decision=decided,  # type: ignore[arg-type]
                reason="checked",
                agent_decision=opened.agent_decision,
                overrode_agent=opened.agent_decision not in ("escalate", decided),
                created_at=when,
            )
        )
    if decision is not None:
        record = DecisionRecord(
            run_id=run_id,
            case_id=run.case_id,
            decision=decision,  # type: ignore[arg-type]
            decided_by="reviewer" if review else "agent",
            clause_ids=list(clauses),
            confidence=0.9,
            rationale="test",
        )
        store.finish_run(run_id, "completed", decision=record)
    elif escalation is None:
        store.finish_run(run_id, "failed", error="boom")
    if took is not None and isinstance(store, SqlAuditStore):
        with store.engine.begin() as conn:
            conn.execute(update(RunRow).where(RunRow.run_id == run_id).values(ended=at + took))  # type: ignore[arg-type]


def _esc(
    queue: str, priority: int, reasons: list[str], areas: list[str], proposal: str, opened: datetime
) -> dict[str, Any]:
    return {
        "queue": queue,
        "priority": priority,
        "reasons": reasons,
        "areas": areas,
        "agent_decision": proposal,
        "opened_at": opened,
    }


def _build(store: AuditStore) -> None:
    s = timedelta(seconds=1)
    _run(store, "r1", T0, decision="approve", took=10 * s)
    _run(store, "r2", T0 + H, decision="reject", clauses=("CIP-1",), took=20 * s, tokens=(100, 20, 0.002))
    _run(store, "r3", T0 + 2 * H, decision="restrict", took=30 * s)
    # Reviewed 5 h after a P2 escalation (SLA 4 h): late; the agent proposed nothing.
    _run(
        store, "r4", T0 + 3 * H, decision="approve", took=5 * H + 10 * s,
        escalation=_esc("fraud", 2, ["unknown_seller"], [], "escalate", T0 + 3 * H),
        review=("approve", T0 + 8 * H),
    )  # fmt: skip
    # The reviewer keeps the agent's reject, within the SLA.
    _run(
        store, "r5", T0 + 4 * H, decision="reject", clauses=("CIP-1",), took=H, tokens=(50, 10, 0.001),
        escalation=_esc("ip-specialists", 2, ["inconclusive:counterfeit_ip", "low_confidence:0.41"],
                        ["counterfeit_ip"], "reject", T0 + 4 * H),
        review=("reject", T0 + 5 * H),
    )  # fmt: skip
    # The reviewer overrides the agent's restrict, 2 h after a P1 escalation: late.
    _run(
        store, "r6", T0 + 6 * H, decision="approve", took=2 * H,
        escalation=_esc("ip-specialists", 1, ["inconclusive:counterfeit_ip"], ["counterfeit_ip", "weapons"],
                        "restrict", T0 + 6 * H),
        review=("approve", T0 + 8 * H),
    )  # fmt: skip
    # Open: a P3 waiting 23 h (SLA 24 h), a P1 waiting 10 h (breached).
    _run(
        store,
        "r7",
        T0 + 7 * H,
        escalation=_esc("fraud", 3, ["unknown_seller"], ["weapons"], "escalate", T0 + 7 * H),
    )
    _run(
        store, "r8", T0 + 20 * H,
        escalation=_esc("general", 1, ["image_missing:listings/a.png"], [], "escalate", T0 + 20 * H),
    )  # fmt: skip
    _run(store, "r9", T0 + 9 * H)  # failed: neither decided nor escalated
    # Before the window, still open at AS_OF after 78 h (P4, SLA 72 h): in the backlog only.
    _run(
        store,
        "r_old",
        T0 - 48 * H,
        escalation=_esc("fraud", 4, ["unknown_seller"], [], "escalate", T0 - 48 * H),
    )
    # After the window: in nothing.
    _run(store, "r_late", UNTIL + H, decision="approve", took=s, tokens=(999, 9, 1.0))


def _kpis(store: SqlAuditStore, **fields: Any) -> Kpis:
    window: dict[str, Any] = {
        "since": T0,
        "until": UNTIL,
        "as_of": AS_OF,
        "sla_hours": SLA,
        "area_clauses": AREAS,
    }
    return compute_kpis(store.engine, **{**window, **fields})


def test_every_figure_of_the_window(store: SqlAuditStore) -> None:
    kpis = _kpis(store)
    assert (kpis.cases, kpis.automated, kpis.escalated) == (9, 3, 5)
    assert kpis.automation_rate == pytest.approx(3 / 8)
    assert kpis.escalation_rate == pytest.approx(5 / 8)
    assert kpis.by_queue == [
        Count("fraud", 2, 2 / 8),
        Count("ip-specialists", 2, 2 / 8),
        Count("general", 1, 1 / 8),
    ]
    assert kpis.by_reason == [
        Count("inconclusive", 2, 2 / 8),
        Count("unknown_seller", 2, 2 / 8),
        Count("image_missing", 1, 1 / 8),
        Count("low_confidence", 1, 1 / 8),
    ]
    assert (kpis.reviews, kpis.proposed, kpis.overrides, kpis.override_rate) == (3, 2, 1, 0.5)
    assert kpis.agreement_by_area == [
        AreaAgreement("counterfeit_ip", 2, 1, 0.5),
        AreaAgreement("weapons", 1, 0, 0.0),
    ]
    # Decided runs took 10 s, 20 s, 30 s, 1 h, 2 h and 5 h 10 s.
    assert kpis.time_to_decision == Spread(6, (30 + 3600) / 2, pytest.approx(7200 + (18010 - 7200) * 0.75))
    # The backlog: 10 h, 23 h and 78 h old.
    assert kpis.open_escalations == Spread(3, 23 * 3600, pytest.approx(82800 + (280800 - 82800) * 0.9))
    assert (kpis.sla_open, kpis.sla_late) == (2, 2)
    assert kpis.model == ModelCost(
        calls=2,
        tokens_in=150,
        tokens_out=30,
        cost_usd=pytest.approx(0.003),
        calls_per_case=pytest.approx(2 / 9),
        tokens_per_case=pytest.approx(20.0),
        cost_per_case_usd=pytest.approx(0.003 / 9),
    )
    body = kpis.to_json()
    assert body["sla"] == {
        "hours": {"1": 1.0, "2": 4.0, "3": 24.0, "4": 72.0},
        "open_breaches": 2,
        "late_reviews": 2,
        "breaches": 4,
    }
    assert body["automation"] == {"automated": 3, "escalated": 5, "reached": 8, "rate": 3 / 8}
    assert body["window"]["since"] == "2026-11-20T08:00:00+00:00"


def test_one_area(store: SqlAuditStore) -> None:
    kpis = _kpis(store, area="counterfeit_ip")
    assert (kpis.cases, kpis.automated, kpis.escalated) == (3, 1, 2)
    assert kpis.by_queue == [Count("ip-specialists", 2, 2 / 3)]
    assert (kpis.reviews, kpis.proposed, kpis.overrides) == (2, 2, 1)
    assert kpis.agreement_by_area == [AreaAgreement("counterfeit_ip", 2, 1, 0.5)]
    assert kpis.open_escalations == Spread(0, None, None)
    assert (kpis.sla_open, kpis.sla_late) == (0, 1)
    assert kpis.time_to_decision.count == 3


def test_a_window_without_model_calls_shows_zeros_and_an_empty_one_no_rates(store: SqlAuditStore) -> None:
    quiet = _kpis(store, since=T0 + 2 * H, until=T0 + 3 * H)
    assert quiet.cases == 1
    assert quiet.model == ModelCost(0, 0, 0, 0.0, 0.0, 0.0, 0.0)
    assert quiet.automation_rate == 1.0 and quiet.override_rate is None
    empty = _kpis(store, since=T0 - 10 * H, until=T0 - 9 * H)
    assert (empty.cases, empty.automation_rate, empty.time_to_decision) == (0, None, Spread(0, None, None))
    assert empty.model.cost_per_case_usd is None
    assert empty.to_json()["model"]["calls"] == 0


@pytest.mark.parametrize(
    ("figure", "fields"),
    [
        ("cases", {}),
        ("automated", {"decided": True, "escalated": False}),
        ("escalated", {"escalated": True}),
        ("reviews", {"reviewed": "yes"}),
        ("proposed", {"reviewed": "proposed"}),
        ("overrides", {"reviewed": "overridden"}),
        ("sla_late", {"sla_breach": "late", "sla_hours": tuple(SLA.items())}),
    ],
)
def test_each_figure_drills_down_to_its_runs(
    store: SqlAuditStore, figure: str, fields: dict[str, Any]
) -> None:
    kpis = _kpis(store)
    found = store.search_runs(RunFilter(since=T0, until=UNTIL, **fields), limit=100)
    assert len(found) == getattr(kpis, figure)


def test_breakdowns_drill_down_to_their_runs(store: SqlAuditStore) -> None:
    kpis = _kpis(store)

    def ids(**fields: Any) -> set[str]:
        return {r.run_id for r in store.search_runs(RunFilter(since=T0, until=UNTIL, **fields), limit=100)}

    for queue in kpis.by_queue:
        assert len(ids(queue=queue.name)) == queue.count
    assert ids(reason="inconclusive") == {"r5", "r6"}
    assert ids(reason="image_missing") == {"r8"}
    assert ids(reason="image") == set()
    for agreement in kpis.agreement_by_area:
        clauses = AREAS[agreement.area]
        assert len(ids(area=agreement.area, area_clauses=clauses, reviewed="proposed")) == agreement.proposed
        assert len(ids(area=agreement.area, area_clauses=clauses, reviewed="agreed")) == agreement.agreed
    assert ids(decided=True) == {"r1", "r2", "r3", "r4", "r5", "r6"}
    backlog = {
        r.run_id
        for r in store.search_runs(
            RunFilter(
                until=UNTIL,
                escalation_status="open",
                sla_breach="open",
                sla_hours=tuple(SLA.items()),
                as_of=AS_OF,
            ),
            limit=100,
        )
    }
    assert backlog == {"r8", "r_old"}
    assert ids(reviewed="no", escalated=True) == {"r7", "r8"}


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.95) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0, 0.0, 20.0], 0.95) == pytest.approx(19.0)


def test_bad_windows_are_refused(store: SqlAuditStore) -> None:
    with pytest.raises(ValueError, match="not before until"):
        _kpis(store, since=UNTIL, until=T0)
    with pytest.raises(ValueError, match="no time zone"):
        _kpis(store, since=datetime(2026, 11, 20))  # noqa: DTZ001


@pytest.mark.parametrize(
    "fields",
    [
        {"escalated": False},
        {"decided": False},
        {"reason": "unknown_seller"},
        {"reason": "low_confidence"},
        {"escalation_status": "resolved"},
        {"escalation_status": "open"},
        {"reviewed": "no"},
        {"reviewed": "agreed"},
        {"reviewed": "overridden"},
        {"sla_breach": "late", "sla_hours": tuple(SLA.items())},
        {"sla_breach": "open", "sla_hours": tuple(SLA.items()), "as_of": AS_OF},
        {"area": "weapons", "area_clauses": AREAS["weapons"], "reviewed": "yes"},
    ],
    ids=repr,
)
def test_the_memory_store_filters_outcomes_as_sql_does(store: SqlAuditStore, fields: dict[str, Any]) -> None:
    memory = MemoryAuditStore()
    _build(memory)
    assert [r.run_id for r in memory.search_runs(RunFilter(**fields), limit=100)] == [
        r.run_id for r in store.search_runs(RunFilter(**fields), limit=100)
    ]
