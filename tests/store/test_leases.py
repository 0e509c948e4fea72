"""The leased review queue on SQLite and PostgreSQL (as the runtime role): claims follow the
queue's order, never hand one escalation to two reviewers (8 threads at once included),
expired leases are free again and held ones are not, only the holder extends, holds or
releases, an admin reassigns, and resolved escalations are never claimed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from auditgraph.store import EscalationRecord, ReviewRecord, SqlAuditStore
from auditgraph.store.leases import Lease, LeaseError, LeaseStore
from tests.fakes.clock import START, ManualClock
from tests.fakes.runs import a_run

TTL = timedelta(minutes=15)


@pytest.fixture
def audit(engine: Engine) -> SqlAuditStore:
    return SqlAuditStore(engine)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def leases(engine: Engine, clock: ManualClock) -> LeaseStore:
    return LeaseStore(engine, clock=clock)


def _escalate(
    audit: SqlAuditStore,
    *,
    priority: int = 3,
    risk: float | None = None,
    queue: str = "fraud",
    minute: int = 0,
) -> str:
    """Start a run and open an escalation for it; return the escalation's id."""
    run = a_run()
    audit.start_run(run, {"case_id": run.case_id})
    escalation = EscalationRecord(
        run_id=run.run_id,
        case_id=run.case_id,
        queue=queue,
        priority=priority,
        reasons=["r"],
        agent_decision="escalate",
        risk=risk,
        opened_at=START + timedelta(minutes=minute),
    )
    return audit.open_escalation(escalation).escalation_id


def _resolve(audit: SqlAuditStore, escalation_id: str) -> None:
    [found] = [e for e in audit.open_escalations() if e.escalation_id == escalation_id]
    audit.record_review(
        ReviewRecord(
            run_id=found.run_id,
            escalation_id=escalation_id,
            reviewer="ann",
            decision="reject",
            reason="Fake.",
            agent_decision="escalate",
            overrode_agent=False,
        )
    )


def _claim(leases: LeaseStore, holder: str, **filters: object) -> Lease | None:
    return leases.claim_next(holder, f"tok_{holder}", ttl=TTL, **filters)  # type: ignore[arg-type]


def test_claims_follow_the_queue_order(audit: SqlAuditStore, leases: LeaseStore) -> None:
    old_low = _escalate(audit, priority=3, minute=0)
    urgent_unknown = _escalate(audit, priority=1, risk=None, minute=1)
    urgent_risky = _escalate(audit, priority=1, risk=0.9, minute=2)
    urgent_less = _escalate(audit, priority=1, risk=0.4, minute=3)
    new_low = _escalate(audit, priority=3, minute=4)
    expected = [urgent_risky, urgent_less, urgent_unknown, old_low, new_low]
    assert [e.escalation_id for e in audit.open_escalations()] == expected
    claimed = [_claim(leases, f"r{n}") for n in range(6)]
    assert [c.escalation_id if c else None for c in claimed] == [*expected, None]


def test_a_claim_is_a_lease_with_its_holder_and_time(audit: SqlAuditStore, leases: LeaseStore) -> None:
    escalation_id = _escalate(audit)
    lease = _claim(leases, "ann")
    assert lease is not None
    assert (lease.escalation_id, lease.holder, lease.token_id, lease.state, lease.note) == (
        escalation_id, "ann", "tok_ann", "leased", None,
    )  # fmt: skip
    assert lease.leased_until == START + TTL and not lease.expired
    assert leases.lease_of(escalation_id) == lease
    assert lease.run_id == audit.escalation(lease.run_id).run_id  # type: ignore[union-attr]


def test_queue_and_priority_filters(audit: SqlAuditStore, leases: LeaseStore) -> None:
    fraud = _escalate(audit, priority=1, queue="fraud")
    ip_low = _escalate(audit, priority=3, queue="ip")
    ip_urgent = _escalate(audit, priority=1, queue="ip", minute=1)
    assert _claim(leases, "ann", queue="ip", priority=3).escalation_id == ip_low  # type: ignore[union-attr]
    assert _claim(leases, "bob", queue="ip").escalation_id == ip_urgent  # type: ignore[union-attr]
    assert _claim(leases, "cat", queue="ip") is None
    assert _claim(leases, "cat", priority=1).escalation_id == fraud  # type: ignore[union-attr]


def test_two_holders_claim_different_escalations(audit: SqlAuditStore, leases: LeaseStore) -> None:
    first, second = _escalate(audit, minute=0), _escalate(audit, minute=1)
    assert _claim(leases, "ann").escalation_id == first  # type: ignore[union-attr]
    assert _claim(leases, "bob").escalation_id == second  # type: ignore[union-attr]
    assert _claim(leases, "cat") is None
    assert {(lease.holder, lease.escalation_id) for lease in leases.active_leases()} == {
        ("ann", first), ("bob", second),
    }  # fmt: skip


def test_a_holder_asking_again_gets_their_own_lease(audit: SqlAuditStore, leases: LeaseStore) -> None:
    first = _escalate(audit, minute=0)
    _escalate(audit, minute=1)
    mine = _claim(leases, "ann")
    assert _claim(leases, "ann") == mine
    assert _claim(leases, "ann", queue="elsewhere") == mine
    assert [lease.escalation_id for lease in leases.active_leases()] == [first]


@pytest.mark.parametrize("holders", [8, 5])
def test_concurrent_claims_never_share_an_escalation(
    audit: SqlAuditStore, leases: LeaseStore, holders: int
) -> None:
    for minute in range(holders):
        _escalate(audit, minute=minute)
    threads = 8
    start = threading.Barrier(threads)
    results: list[Lease | None] = []
    errors: list[BaseException] = []

    def claim(n: int) -> None:
        try:
            start.wait()
            results.append(_claim(leases, f"reviewer{n}"))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    workers = [threading.Thread(target=claim, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    claimed = [r.escalation_id for r in results if r is not None]
    assert len(claimed) == len(set(claimed)) == holders
    assert results.count(None) == threads - holders
    assert {lease.escalation_id for lease in leases.active_leases()} == set(claimed)


def test_an_expired_lease_is_claimable_by_someone_else(
    audit: SqlAuditStore, leases: LeaseStore, clock: ManualClock
) -> None:
    escalation_id = _escalate(audit)
    anns = _claim(leases, "ann")
    assert _claim(leases, "bob") is None
    clock.advance(TTL + timedelta(seconds=1))
    assert anns.expired  # type: ignore[union-attr]
    assert leases.active_leases() == []
    bobs = _claim(leases, "bob")
    assert (bobs.escalation_id, bobs.holder, bobs.leased_until) == (escalation_id, "bob", clock.now + TTL)  # type: ignore[union-attr]
    # Ann's lease is gone: she may neither extend nor release it, and gets no lease back.
    assert leases.extend(escalation_id, "ann", ttl=TTL) is None
    assert not leases.release(escalation_id, "ann", reason="late")
    assert _claim(leases, "ann") is None


def test_a_lease_is_binding_until_its_last_instant(
    audit: SqlAuditStore, leases: LeaseStore, clock: ManualClock
) -> None:
    _escalate(audit)
    _claim(leases, "ann")
    clock.advance(TTL)
    assert _claim(leases, "bob") is None


def test_a_held_lease_is_not_claimable(audit: SqlAuditStore, leases: LeaseStore, clock: ManualClock) -> None:
    escalation_id = _escalate(audit)
    _claim(leases, "ann")
    held = leases.hold(escalation_id, "ann", note="waiting on the brand owner")
    assert held is not None and (held.state, held.note) == ("held", "waiting on the brand owner")
    clock.advance(timedelta(days=3))
    assert not held.expired
    assert _claim(leases, "bob") is None
    assert leases.active_leases() == [held]
    # A held lease does not stop its holder taking the next escalation.
    other = _escalate(audit, minute=5)
    assert _claim(leases, "ann").escalation_id == other  # type: ignore[union-attr]


def test_only_the_holder_may_extend(audit: SqlAuditStore, leases: LeaseStore, clock: ManualClock) -> None:
    escalation_id = _escalate(audit)
    _claim(leases, "ann")
    assert leases.extend(escalation_id, "bob", ttl=TTL) is None
    clock.advance(timedelta(minutes=10))
    extended = leases.extend(escalation_id, "ann", ttl=timedelta(hours=1))
    assert extended is not None and extended.leased_until == clock.now + timedelta(hours=1)
    assert leases.lease_of(escalation_id) == extended
    assert leases.extend("esc_missing", "ann", ttl=TTL) is None


def test_extending_a_held_lease_keeps_it_held(audit: SqlAuditStore, leases: LeaseStore) -> None:
    escalation_id = _escalate(audit)
    _claim(leases, "ann")
    leases.hold(escalation_id, "ann", note="n")
    extended = leases.extend(escalation_id, "ann", ttl=TTL)
    assert extended is not None and (extended.state, extended.note) == ("held", "n")


def test_only_the_holder_may_hold(audit: SqlAuditStore, leases: LeaseStore, clock: ManualClock) -> None:
    escalation_id = _escalate(audit)
    _claim(leases, "ann")
    assert leases.hold(escalation_id, "bob", note="mine now") is None
    with pytest.raises(ValueError, match="needs a note"):
        leases.hold(escalation_id, "ann", note=" ")
    clock.advance(TTL + timedelta(seconds=1))
    assert leases.hold(escalation_id, "ann", note="too late") is None


def test_only_the_holder_may_release(
    audit: SqlAuditStore, leases: LeaseStore, caplog: pytest.LogCaptureFixture
) -> None:
    escalation_id = _escalate(audit)
    _claim(leases, "ann")
    assert not leases.release(escalation_id, "bob", reason="not mine")
    with pytest.raises(ValueError, match="needs a reason"):
        leases.release(escalation_id, "ann", reason="")
    with caplog.at_level("INFO", logger="auditgraph.store.leases"):
        assert leases.release(escalation_id, "ann", reason="conflict of interest")
    assert "conflict of interest" in caplog.text
    assert leases.lease_of(escalation_id) is None
    assert not leases.release(escalation_id, "ann", reason="again")
    assert _claim(leases, "bob").escalation_id == escalation_id  # type: ignore[union-attr]


def test_a_held_lease_can_be_released(audit: SqlAuditStore, leases: LeaseStore, clock: ManualClock) -> None:
    escalation_id = _escalate(audit)
    _claim(leases, "ann")
    leases.hold(escalation_id, "ann", note="n")
    clock.advance(timedelta(days=1))
    assert leases.release(escalation_id, "ann", reason="the brand owner never answered")
    assert _claim(leases, "bob").escalation_id == escalation_id  # type: ignore[union-attr]


def test_an_admin_reassigns_a_lease(audit: SqlAuditStore, leases: LeaseStore, clock: ManualClock) -> None:
    escalation_id = _escalate(audit)
    _claim(leases, "ann")
    leases.hold(escalation_id, "ann", note="n")
    given = leases.reassign(escalation_id, "bob", "tok_bob", ttl=TTL)
    assert (given.holder, given.token_id, given.state, given.note) == ("bob", "tok_bob", "leased", None)
    assert given.leased_until == clock.now + TTL
    assert leases.lease_of(escalation_id) == given
    assert leases.extend(escalation_id, "ann", ttl=TTL) is None
    assert _claim(leases, "bob") == given
    unleased = _escalate(audit, minute=5)
    assert leases.reassign(unleased, "cat", "tok_cat", ttl=TTL).holder == "cat"
    with pytest.raises(LeaseError, match="no open escalation 'esc_missing'"):
        leases.reassign("esc_missing", "cat", "tok_cat", ttl=TTL)


def test_resolved_escalations_are_skipped(audit: SqlAuditStore, leases: LeaseStore) -> None:
    resolved = _escalate(audit, priority=1)
    leased_then_resolved = _escalate(audit, priority=2)
    waiting = _escalate(audit, priority=3)
    _resolve(audit, resolved)
    assert _claim(leases, "ann").escalation_id == leased_then_resolved  # type: ignore[union-attr]
    _resolve(audit, leased_then_resolved)
    # Ann's lease stopped mattering: she is free to take the next one.
    assert leases.lease_of(leased_then_resolved) is None
    assert leases.extend(leased_then_resolved, "ann", ttl=TTL) is None
    assert _claim(leases, "ann").escalation_id == waiting  # type: ignore[union-attr]
    assert _claim(leases, "bob") is None
    with pytest.raises(LeaseError):
        leases.reassign(resolved, "bob", "tok_bob", ttl=TTL)
    assert [lease.escalation_id for lease in leases.active_leases()] == [waiting]


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(seconds=-1)])
def test_a_ttl_must_be_positive(audit: SqlAuditStore, leases: LeaseStore, ttl: timedelta) -> None:
    escalation_id = _escalate(audit)
    with pytest.raises(ValueError, match="positive timedelta"):
        leases.claim_next("ann", "tok_ann", ttl=ttl)
    with pytest.raises(ValueError, match="positive timedelta"):
        leases.reassign(escalation_id, "ann", "tok_ann", ttl=ttl)
