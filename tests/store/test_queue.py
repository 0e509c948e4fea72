"""The review queue's pages on SQLite and PostgreSQL (as the runtime role): sorted as claims
take escalations, filtered by queue, priority, area, case kind and wait, paged with a total,
each row with its case's title and the lease binding it now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from auditgraph.store import EscalationRecord, ReviewRecord, SqlAuditStore
from auditgraph.store.leases import LeaseStore
from auditgraph.store.queue import QueueFilter, QueuePage, open_queues, queue_page
from tests.fakes.runs import a_run

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NOW = START + timedelta(hours=10)
TTL = timedelta(minutes=15)


@pytest.fixture
def audit(engine: Engine) -> SqlAuditStore:
    return SqlAuditStore(engine)


def _escalate(
    audit: SqlAuditStore,
    *,
    priority: int = 3,
    risk: float | None = None,
    queue: str = "fraud",
    minute: int = 0,
    areas: tuple[str, ...] = (),
    kind: str = "listing_review",
    title: str | None = "A listing",
) -> EscalationRecord:
    """Start a run on a case (with a listing titled `title`, or none) and open an escalation."""
    run = a_run(case_kind=kind)
    case: dict[str, Any] = {"case_id": run.case_id, "kind": kind}
    if title is not None:
        case["listing"] = {"title": title}
    audit.start_run(run, case)
    escalation = EscalationRecord(
        run_id=run.run_id,
        case_id=run.case_id,
        queue=queue,
        priority=priority,
        reasons=["r"],
        areas=list(areas),
        agent_decision="escalate",
        risk=risk,
        opened_at=START + timedelta(minutes=minute),
    )
    return audit.open_escalation(escalation)


def _ids(page: QueuePage) -> list[str]:
    return [r.escalation.escalation_id for r in page.rows]


def _page(engine: Engine, **filters: Any) -> QueuePage:
    return queue_page(engine, QueueFilter(**filters), now=NOW)


def test_the_queue_is_in_the_order_claims_take_it(audit: SqlAuditStore, engine: Engine) -> None:
    old_low = _escalate(audit, priority=3, minute=0)
    urgent_unknown = _escalate(audit, priority=1, risk=None, minute=1)
    urgent_risky = _escalate(audit, priority=1, risk=0.9, minute=2)
    urgent_less = _escalate(audit, priority=1, risk=0.4, minute=3)
    new_low = _escalate(audit, priority=3, minute=4)
    mid = _escalate(audit, priority=2, minute=5)
    expected = [urgent_risky, urgent_less, urgent_unknown, mid, old_low, new_low]
    page = _page(engine)
    assert _ids(page) == [e.escalation_id for e in expected]
    assert page.total == 6 and not page.has_next and not page.has_previous
    assert [e.escalation_id for e in audit.open_escalations()] == _ids(page)
    leases = LeaseStore(engine, clock=lambda: NOW)
    claimed = leases.claim_next("ann", "tok_ann", ttl=TTL)
    assert claimed is not None and claimed.escalation_id == urgent_risky.escalation_id


def test_rows_carry_the_escalation_the_title_and_the_kind(audit: SqlAuditStore, engine: Engine) -> None:
    listed = _escalate(audit, minute=0, title="Bargain <b>watch</b>", areas=("counterfeit_ip",))
    untitled = _escalate(audit, minute=1, title=None, kind="seller_appeal")
    first, second = _page(engine).rows
    assert first.escalation == audit.escalation(listed.run_id)
    assert (first.title, first.case_kind, first.lease) == ("Bargain <b>watch</b>", "listing_review", None)
    assert first.escalation.areas == ["counterfeit_ip"] and first.escalation.opened_at == START
    assert (second.title, second.case_kind) == (untitled.case_id, "seller_appeal")


def test_filters_narrow_the_queue_and_its_total(audit: SqlAuditStore, engine: Engine) -> None:
    fraud_urgent = _escalate(audit, priority=1, queue="fraud", minute=0, areas=("counterfeit_ip", "fraud"))
    ip_low = _escalate(audit, priority=3, queue="ip", minute=30, areas=("counterfeit_ip",))
    appeal = _escalate(audit, priority=3, queue="fraud", minute=9 * 60, kind="seller_appeal")
    fresh = _escalate(audit, priority=2, queue="general", minute=10 * 60 - 5, areas=("dangerous_goods",))
    cases: list[tuple[dict[str, Any], list[EscalationRecord]]] = [
        ({"queue": "fraud"}, [fraud_urgent, appeal]),
        ({"priority": 3}, [ip_low, appeal]),
        ({"area": "counterfeit_ip"}, [fraud_urgent, ip_low]),
        ({"area": "counterfeit"}, []),
        ({"case_kind": "seller_appeal"}, [appeal]),
        ({"case_kind": "listing_review", "queue": "fraud"}, [fraud_urgent]),
        ({"waited": timedelta(hours=1)}, [fraud_urgent, ip_low, appeal]),
        ({"waited": timedelta(hours=9, minutes=30)}, [fraud_urgent, ip_low]),
        ({"waited": timedelta(hours=9, minutes=31)}, [fraud_urgent]),
        ({"waited": timedelta(minutes=5)}, [fraud_urgent, fresh, ip_low, appeal]),
        ({"waited": timedelta(minutes=6)}, [fraud_urgent, ip_low, appeal]),
        ({"area": "counterfeit_ip", "priority": 3, "waited": timedelta(hours=2)}, [ip_low]),
    ]
    for filters, expected in cases:
        page = _page(engine, **filters)
        assert _ids(page) == [e.escalation_id for e in expected], filters
        assert page.total == len(expected), filters


def test_pages_split_the_queue_with_nothing_shown_twice(audit: SqlAuditStore, engine: Engine) -> None:
    made = [_escalate(audit, priority=1 + n % 3, minute=n % 4) for n in range(11)]
    whole = _ids(_page(engine))
    assert sorted(whole) == sorted(e.escalation_id for e in made)
    pages = [queue_page(engine, limit=4, offset=offset, now=NOW) for offset in (0, 4, 8)]
    assert [len(p.rows) for p in pages] == [4, 4, 3]
    assert [i for p in pages for i in _ids(p)] == whole
    assert [(p.has_previous, p.has_next, p.total) for p in pages] == [
        (False, True, 11), (True, True, 11), (True, False, 11),
    ]  # fmt: skip
    beyond = queue_page(engine, limit=4, offset=12, now=NOW)
    assert beyond.rows == [] and beyond.total == 11 and beyond.has_previous and not beyond.has_next
    urgent = queue_page(engine, QueueFilter(priority=1), limit=2, offset=2, now=NOW)
    assert (
        urgent.total == 4 and _ids(urgent) == [i for i in whole if i in _ids(_page(engine, priority=1))][2:]
    )


def test_rows_show_the_lease_that_binds_now(audit: SqlAuditStore, engine: Engine) -> None:
    leased, held, lapsed, free = (_escalate(audit, minute=n) for n in range(4))
    clock = {"now": NOW - timedelta(minutes=20)}
    leases = LeaseStore(engine, clock=lambda: clock["now"])
    assert leases.reassign(lapsed.escalation_id, "cat", "tok_cat", ttl=TTL) is not None
    clock["now"] = NOW - timedelta(minutes=1)
    leases.reassign(leased.escalation_id, "ann", "tok_ann", ttl=TTL)
    leases.reassign(held.escalation_id, "bob", "tok_bob", ttl=TTL)
    assert leases.hold(held.escalation_id, "bob", note="waiting on the brand's answer") is not None
    rows = _page(engine).rows
    shown = [None if r.lease is None else (r.lease.holder, r.lease.state, r.lease.note) for r in rows]
    assert shown == [("ann", "leased", None), ("bob", "held", "waiting on the brand's answer"), None, None]
    assert rows[0].lease is not None and rows[0].lease.until == NOW - timedelta(minutes=1) + TTL
    assert [r.escalation.escalation_id for r in rows] == [
        e.escalation_id for e in (leased, held, lapsed, free)
    ]
    later = queue_page(engine, now=NOW + timedelta(days=3)).rows
    assert [r.lease.holder if r.lease else None for r in later] == [None, "bob", None, None]


def test_resolved_escalations_leave_the_queue(audit: SqlAuditStore, engine: Engine) -> None:
    done, waiting = _escalate(audit, queue="ip", minute=0), _escalate(audit, queue="fraud", minute=1)
    assert open_queues(engine) == ["fraud", "ip"]
    audit.record_review(
        ReviewRecord(
            run_id=done.run_id,
            escalation_id=done.escalation_id,
            reviewer="ann",
            decision="approve",
            reason="Fine.",
            agent_decision="escalate",
            overrode_agent=True,
        )
    )
    page = _page(engine)
    assert _ids(page) == [waiting.escalation_id] and page.total == 1
    assert open_queues(engine) == ["fraud"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda e: queue_page(e, limit=0), "limit must be at least 1"),
        (lambda e: queue_page(e, offset=-1), "offset at least 0"),
        (lambda e: queue_page(e, now=datetime(2026, 12, 1)), "no time zone"),  # noqa: DTZ001
        (lambda e: QueueFilter(waited=timedelta(hours=-1)), "must not be negative"),
    ],
)
def test_bad_arguments_are_refused(audit: SqlAuditStore, engine: Engine, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(engine)
