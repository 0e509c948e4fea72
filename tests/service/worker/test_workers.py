"""Workers on the real PostgreSQL and RabbitMQ, as separate processes: a worker killed in
the middle of a case loses nothing and repeats nothing; workers stopped past their lease
never run a case at the same time as the worker that took it over; a broker that is down
when a case is submitted loses nothing; a case that kills its worker every time ends
failed after the capped attempts; a review resumes on whichever worker takes it."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from itertools import cycle

import pytest
from sqlalchemy import text

from tests.service.api.conftest import fresh_case
from tests.service.worker.conftest import LEASE_S, Cluster, Worker

pytestmark = pytest.mark.slow

ESCALATES = "ip_report_needs_specialist"
"""A rights holder's report the rules send to a specialist: the run pauses for review."""
DECIDES = "counterfeit_watch_replica"
"""A replica watch the rules reject: the run ends with a decision."""
MIXED = (ESCALATES, DECIDES, "appeal_claims_removed", "ip_report_counterfeit")


def _until(condition, timeout: float, what: str, step: float = 0.02):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _leased(cluster: Cluster, run_id: str, attempt: int) -> bool:
    row = cluster.dispatch.get(run_id)
    return row is not None and row["state"] == "leased" and row["attempts"] == attempt


def test_a_worker_killed_mid_case_loses_nothing_and_repeats_nothing(cluster: Cluster) -> None:
    first = cluster.start_worker()
    # Freeze the worker a moment after it claims the run; kill it there if the run is
    # still midway (else let it go and try again, sooner).
    victim = None
    for attempt in range(5):
        run_id = cluster.submit(fresh_case(ESCALATES))
        _until(lambda r=run_id: _leased(cluster, r, 1), 30, "the worker to claim the run", step=0.005)  # type: ignore[misc]
        time.sleep(0.05 / (attempt + 1))
        first.signal(signal.SIGSTOP)
        if cluster.store.get_run(run_id).status == "running":
            victim = run_id
            break
        first.signal(signal.SIGCONT)
    assert victim is not None, "no run was caught midway in five tries"
    cluster.stop_worker(first, signal.SIGKILL)

    second = cluster.start_worker()
    cluster.wait_settled([victim])
    run = cluster.store.get_run(victim)
    assert run.status == "awaiting_review"
    cluster.assert_once(victim)
    steps = cluster.store.steps(victim)
    [recovery] = [s for s in steps if s.kind == "recovery"]
    assert recovery.output["from"] == "stored case" and recovery.output["steps_kept"] == 1
    assert cluster.dispatch.get(victim)["attempts"] == 2  # type: ignore[index]
    escalation = cluster.store.escalation(victim)
    assert escalation is not None and escalation.status == "open"

    # The review goes to the API and is applied by a worker: recorded once, decided once.
    with cluster.server.client("reviewer") as client:
        digest = client.get(f"/v1/runs/{victim}").json()["review_digest"]
        answer = client.post(
            f"/v1/runs/{victim}/review",
            json={
                "decision": "approve",
                "reason": "The reseller showed the invoice.",
                "review_digest": digest,
            },
        )
    assert answer.status_code == 202, answer.text
    cluster.wait_settled([victim], into=("completed", "failed"))
    run = cluster.store.get_run(victim)
    assert (run.status, run.decision) == ("completed", "approve")
    assert len(cluster.store.reviews(victim)) == 1 and len(cluster.store.decisions(victim)) == 1
    cluster.assert_once(victim)
    cluster.stop_worker(second)


def test_workers_paused_past_their_lease_never_run_a_case_twice(cluster: Cluster) -> None:
    # Pauses aimed at holders can take one run over many times: this test is about never
    # running a case twice, not about the cap on attempts (the poison test below).
    workers = [
        cluster.start_worker(concurrency=2, worker_max_attempts="20"),
        cluster.start_worker(concurrency=2, worker_max_attempts="20"),
    ]
    rng = random.Random(20261201)
    stop = threading.Event()
    paused_holders = [0]

    def pause_workers() -> None:
        # Stop a worker for longer than its lease, so the other takes its runs over, then
        # let it go on where it stood: its writes must all be refused. At random moments,
        # but a worker that holds a run right then is the one stopped.
        while not stop.wait(rng.uniform(0.1, 0.6)):
            holders = _holding(cluster, workers)
            worker = rng.choice(holders or workers)
            paused_holders[0] += bool(holders)
            worker.signal(signal.SIGSTOP)
            stop.wait(rng.uniform(LEASE_S + 0.5, LEASE_S + 2.0))
            worker.signal(signal.SIGCONT)

    chaos = threading.Thread(target=pause_workers, daemon=True)
    chaos.start()
    try:
        names = cycle(MIXED)
        runs = []
        for _ in range(40):
            runs.append(cluster.submit(fresh_case(next(names))))
            time.sleep(rng.uniform(0.0, 0.2))  # spread over the pauses
        cluster.wait_settled(runs, timeout=240)
    finally:
        stop.set()
        chaos.join()
        for worker in workers:
            worker.signal(signal.SIGCONT)
    for run_id in runs:
        cluster.assert_once(run_id)
        run = cluster.store.get_run(run_id)
        assert run.status in ("completed", "awaiting_review"), (run_id, run.status, run.error)
        assert (run.status == "completed") == (len(cluster.store.decisions(run_id)) == 1)
    taken_over = [r for r in runs if cluster.dispatch.get(r)["attempts"] >= 2]  # type: ignore[index]
    assert taken_over, (
        f"no run was taken over ({paused_holders[0]} pauses of a holder): the test proved nothing"
    )
    for worker in workers:
        cluster.stop_worker(worker)


def _holding(cluster: Cluster, workers: list[Worker]) -> list[Worker]:
    """The workers that hold a run now: a lease's owner names the pool process
    (`host:pid:suffix`), which runs in its worker's process group."""
    with cluster.dispatch.engine.connect() as conn:
        owners = conn.execute(text("SELECT owner FROM run_dispatch WHERE state = 'leased'")).scalars()
        pids = {int(owner.split(":")[1]) for owner in owners if owner}
    groups = set()
    for pid in pids:
        try:
            groups.add(os.getpgid(pid))
        except ProcessLookupError:
            continue
    return [w for w in workers if w.process.pid in groups]


def test_a_broker_down_at_submit_loses_nothing(cluster: Cluster) -> None:
    worker = cluster.start_worker()
    cluster.proxy.down()  # the API server alone loses the broker
    try:
        runs = [cluster.submit(fresh_case(DECIDES)) for _ in range(3)]
        rows = [cluster.dispatch.get(r) for r in runs]
        assert all(row is not None and row["state"] == "queued" for row in rows)
    finally:
        cluster.proxy.up()
    # The worker's sweep announces what the server could not.
    cluster.wait_settled(runs, timeout=60)
    for run_id in runs:
        cluster.assert_once(run_id)
        assert cluster.store.get_run(run_id).status == "completed"
    assert "could not announce run" in cluster.server.server_log()
    cluster.stop_worker(worker)


def test_a_case_that_kills_its_worker_every_time_ends_failed(cluster: Cluster) -> None:
    failed_before = cluster.dispatch.stats().failed
    run_id = cluster.submit(fresh_case(DECIDES))
    for attempt in (1, 2, 3):
        worker = cluster.start_worker()
        _until(lambda a=attempt: _leased(cluster, run_id, a), 30, f"attempt {attempt}", step=0.005)  # type: ignore[misc]
        cluster.stop_worker(worker, signal.SIGKILL)
    worker = cluster.start_worker()
    cluster.wait_settled([run_id], timeout=60)
    run = cluster.store.get_run(run_id)
    assert run.status == "failed" and run.decision is None
    assert run.error is not None and "gave up after 3 attempt(s)" in run.error
    assert cluster.dispatch.get(run_id)["state"] == "failed"  # type: ignore[index]
    assert cluster.store.decisions(run_id) == []
    cluster.assert_once(run_id)
    with cluster.server.client("auditor") as client:
        failed = client.get("/v1/runs", params={"status": "failed"}).json()["runs"]
        dispatch = client.get(f"/v1/runs/{run_id}").json()["dispatch"]
        metrics = client.get("/metrics").text
    assert dispatch["state"] == "failed" and dispatch["attempts"] == 4 and "gave up" in dispatch["last_error"]
    assert run_id in [r["run_id"] for r in failed]
    assert f'auditgraph_dispatch_runs{{state="failed"}} {failed_before + 1}.0' in metrics
    cluster.stop_worker(worker)
