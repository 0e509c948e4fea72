"""The work queue of runs on SQLite and PostgreSQL (as the runtime role): a run is queued in
the transaction that records it, one claimant wins each run (8 threads racing over 30 runs
included), an expired lease is taken over with the attempt raised, the old holder can then
neither renew, finish nor write a trace step, and the sweep finds lost doorbells."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from auditgraph.store import SqlAuditStore, TraceStep
from auditgraph.store.dispatch import Claim, DispatchStore, LeaseLost, fenced
from tests.fakes.clock import ManualClock
from tests.fakes.runs import a_run

LEASE = timedelta(seconds=30)


@pytest.fixture
def audit(engine: Engine) -> SqlAuditStore:
    return SqlAuditStore(engine)


@pytest.fixture
def clock() -> ManualClock:
    # From the real time: a run is queued at the real time.
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def dispatch(engine: Engine, clock: ManualClock) -> DispatchStore:
    return DispatchStore(engine, clock=clock)


def _start(audit: SqlAuditStore, *, queued: bool = True) -> str:
    run = a_run()
    audit.start_run(run, {"case_id": run.case_id}, queued=queued)
    return run.run_id


def _step(run_id: str) -> TraceStep:
    return TraceStep(run_id=run_id, case_id="c", seq=2, node="intake", kind="node", output={"ok": True})


def test_a_run_is_queued_with_its_record(audit: SqlAuditStore, dispatch: DispatchStore) -> None:
    queued, direct = _start(audit), _start(audit, queued=False)
    row = dispatch.get(queued)
    assert row is not None and row["state"] == "queued" and row["attempts"] == 0
    assert dispatch.get(direct) is None
    assert dispatch.claim(direct, "w1", lease=LEASE) is None  # never queued: no worker takes it


def test_one_claim_wins_and_the_lease_is_binding(
    audit: SqlAuditStore, dispatch: DispatchStore, clock: ManualClock
) -> None:
    run_id = _start(audit)
    first = dispatch.claim(run_id, "w1", lease=LEASE)
    assert first is not None and first.attempt == 1 and first.lease_expires == clock.now + LEASE
    assert dispatch.claim(run_id, "w2", lease=LEASE) is None
    clock.advance(LEASE)  # expiry is strict: at the last instant it still holds
    assert dispatch.claim(run_id, "w2", lease=LEASE) is None
    assert dispatch.heartbeat(first.fence, lease=LEASE)
    clock.advance(LEASE)
    assert dispatch.claim(run_id, "w2", lease=LEASE) is None  # renewed
    assert dispatch.finish(first.fence, "done")
    assert dispatch.claim(run_id, "w2", lease=LEASE) is None  # done: nothing to do
    assert dispatch.get(run_id)["state"] == "done"  # type: ignore[index]


def test_an_expired_lease_is_taken_over_and_fences_the_old_holder(
    audit: SqlAuditStore, dispatch: DispatchStore, clock: ManualClock
) -> None:
    run_id = _start(audit)
    old = dispatch.claim(run_id, "w1", lease=LEASE)
    assert old is not None
    clock.advance(LEASE + timedelta(seconds=1))
    assert dispatch.stale(queued_for=timedelta(hours=1)) == [run_id]
    new = dispatch.claim(run_id, "w2", lease=LEASE)
    assert new is not None and new.attempt == 2 and new.owner == "w2"
    # The old holder woke up: it can no longer renew, finish, give back or write.
    assert not dispatch.heartbeat(old.fence, lease=LEASE)
    assert not dispatch.finish(old.fence, "done")
    assert not dispatch.release(old.fence, error="x")
    with fenced(old.fence), pytest.raises(LeaseLost, match="another worker took it over"):
        audit.record_steps([_step(run_id)])
    with fenced(old.fence), pytest.raises(LeaseLost):
        audit.finish_run(run_id, "failed", error="stale")
    assert [s.seq for s in audit.steps(run_id)] == [1]
    assert audit.get_run(run_id).status == "running"
    # The new holder writes.
    with fenced(new.fence):
        audit.record_steps([_step(run_id)])
    assert [s.seq for s in audit.steps(run_id)] == [1, 2]
    # A fence names one run: writes for other runs are not checked against it.
    other = _start(audit)
    with fenced(old.fence):
        audit.record_steps([_step(other)])


def test_a_released_run_is_queued_again_with_its_error(
    audit: SqlAuditStore, dispatch: DispatchStore, clock: ManualClock
) -> None:
    run_id = _start(audit)
    first = dispatch.claim(run_id, "w1", lease=LEASE)
    assert first is not None and dispatch.release(first.fence, error="database went away")
    again = dispatch.claim(run_id, "w2", lease=LEASE)
    assert again is not None and again.attempt == 2 and again.last_error == "database went away"
    assert dispatch.finish(again.fence, "failed", error="gave up")
    stats = dispatch.stats()
    assert (stats.queued, stats.leased, stats.failed) == (0, 0, 1)
    # Queued again (e.g. a review to apply): attempts start over.
    assert dispatch.enqueue(run_id)
    assert not dispatch.enqueue(run_id)  # already queued
    third = dispatch.claim(run_id, "w3", lease=LEASE)
    assert third is not None and third.attempt == 1


def test_stats_and_the_sweep(audit: SqlAuditStore, dispatch: DispatchStore, clock: ManualClock) -> None:
    waiting, held, dead = _start(audit), _start(audit), _start(audit)
    assert dispatch.claim(held, "w1", lease=timedelta(minutes=10)) is not None
    assert dispatch.claim(dead, "w2", lease=LEASE) is not None
    assert dispatch.stale(queued_for=timedelta(minutes=1)) == []
    clock.advance(timedelta(minutes=2))
    assert set(dispatch.stale(queued_for=timedelta(minutes=1))) == {waiting, dead}
    stats = dispatch.stats()
    assert (stats.queued, stats.leased, stats.expired) == (1, 2, 1)
    assert stats.oldest_queued_seconds == pytest.approx(120, abs=5)


def test_concurrent_claims_never_share_a_run(audit: SqlAuditStore, dispatch: DispatchStore) -> None:
    runs = [_start(audit) for _ in range(30)]
    threads = 8
    barrier = threading.Barrier(threads)
    claims: list[Claim] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            for run_id in runs:  # every worker tries every run, as duplicated doorbells would
                claim = dispatch.claim(run_id, f"w{n}", lease=LEASE)
                if claim is not None:
                    claims.append(claim)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sorted(c.run_id for c in claims) == sorted(runs)
    assert all(c.attempt == 1 for c in claims)


def test_a_lease_must_be_positive(audit: SqlAuditStore, dispatch: DispatchStore) -> None:
    with pytest.raises(ValueError, match="positive"):
        dispatch.claim(_start(audit), "w1", lease=timedelta(0))
