"""What a worker does with one announced run, in process on SQLite (the broker is kombu's
in-memory transport): a queued run is audited once and a second announcement finds nothing
to do; a run its dead holder already finished is marked done without running it again; a
run past its attempts is closed failed with the reason, nothing decided, its chain whole."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from auditgraph.service.dispatcher import Dispatcher
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.service.worker.app import _Sweeper
from auditgraph.service.worker.runs import RunWorker
from auditgraph.store.dispatch import fenced
from auditgraph.store.integrity import verify_store
from auditgraph.store.signing import Signer
from auditgraph.workflows import Auditor
from tests.service.api.conftest import fresh_case

LEASE = 1.0


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Auditor, RunWorker]]:
    folder = tmp_path_factory.mktemp("run-worker")
    Signer(folder / "signing-key.pem", create=True).key_id  # noqa: B018 - creates the key
    settings = Settings(
        database_url=f"sqlite:///{folder / 'audit.db'}",
        broker_url="memory://",
        signing_key_file=folder / "signing-key.pem",
        screen_embedder="none",
        image_text="none",
        worker_lease_seconds=LEASE,
        worker_max_attempts=2,
    )
    with open_auditor(settings) as auditor:
        dispatcher = Dispatcher(settings, auditor.store.engine)  # type: ignore[attr-defined]
        yield auditor, RunWorker(settings, auditor, dispatcher, name="w-test")


def _queued(auditor: Auditor, name: str = "counterfeit_watch_replica") -> str:
    return auditor.start(fresh_case(name), queued=True).run_id


def _verifies(auditor: Auditor, run_id: str) -> None:
    [check] = verify_store(auditor.store, run_id=run_id)  # type: ignore[arg-type]
    assert check.ok, check.problems


def test_a_queued_run_is_audited_once(parts: tuple[Auditor, RunWorker]) -> None:
    auditor, worker = parts
    run_id = _queued(auditor)
    assert auditor.store.get_run(run_id).status == "running"
    assert worker.process(run_id) == "done"
    assert worker.process(run_id) == "skipped"  # a duplicate announcement
    run = auditor.store.get_run(run_id)
    assert run.status == "completed" and len(auditor.store.decisions(run_id)) == 1
    assert worker.dispatch.get(run_id)["state"] == "done"  # type: ignore[index]
    assert not [s for s in auditor.store.steps(run_id) if s.kind == "recovery"]
    _verifies(auditor, run_id)


def test_a_run_finished_by_a_holder_that_died_is_not_run_again(parts: tuple[Auditor, RunWorker]) -> None:
    auditor, worker = parts
    run_id = _queued(auditor)
    dead = worker.dispatch.claim(run_id, "dead-worker", lease=timedelta(seconds=LEASE))
    assert dead is not None
    with fenced(dead.fence):
        auditor.advance(run_id)  # it finished the run, then died before marking it done
    steps = len(auditor.store.steps(run_id))
    time.sleep(LEASE + 0.1)
    assert worker.process(run_id) == "done"
    assert len(auditor.store.steps(run_id)) == steps
    assert len(auditor.store.decisions(run_id)) == 1
    _verifies(auditor, run_id)


def test_a_run_past_its_attempts_ends_failed(parts: tuple[Auditor, RunWorker]) -> None:
    auditor, worker = parts
    run_id = _queued(auditor)
    for attempt in (1, 2):  # two holders die on it without writing anything
        claim = worker.dispatch.claim(run_id, f"dying-{attempt}", lease=timedelta(seconds=LEASE))
        assert claim is not None and claim.attempt == attempt
        time.sleep(LEASE + 0.1)
    assert worker.process(run_id) == "failed"
    run = auditor.store.get_run(run_id)
    assert run.status == "failed" and run.decision is None
    assert run.error is not None and run.error.startswith("gave up after 2 attempt(s)")
    assert auditor.store.decisions(run_id) == []
    assert worker.dispatch.get(run_id)["state"] == "failed"  # type: ignore[index]
    assert worker.process(run_id) == "skipped"  # never tried again
    _verifies(auditor, run_id)


def test_a_review_queued_through_the_auditor_is_applied_by_the_worker(
    parts: tuple[Auditor, RunWorker],
) -> None:
    auditor, worker = parts
    run_id = _queued(auditor, "ip_report_needs_specialist")
    assert worker.process(run_id) == "done"
    assert auditor.store.get_run(run_id).status == "awaiting_review"
    auditor.queue_review(run_id, {"reviewer": "kim", "decision": "approve", "reason": "Invoice checked."})
    assert worker.dispatch.get(run_id)["state"] == "queued"  # type: ignore[index]
    assert worker.process(run_id) == "done"
    run = auditor.store.get_run(run_id)
    assert (run.status, run.decision) == ("completed", "approve")
    assert len(auditor.store.reviews(run_id)) == 1
    _verifies(auditor, run_id)


def test_settings_refuse_a_broker_url_that_is_not_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="amqp://"):
        Settings(broker_url="http://127.0.0.1:5672")


def test_the_workers_periodic_pass_prunes_finished_runs(tmp_path: Path) -> None:
    Signer(tmp_path / "signing-key.pem", create=True).key_id  # noqa: B018 - creates the key
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'audit.db'}",
        broker_url="memory://",
        signing_key_file=tmp_path / "signing-key.pem",
        screen_embedder="none",
        image_text="none",
        durability="sync",  # a checkpoint after every step: many a run
        retention_checkpoint_days=0,
    )
    with open_auditor(settings) as auditor:
        worker = RunWorker(settings, auditor, Dispatcher(settings, auditor.store.engine))  # type: ignore[attr-defined]
        run_id = _queued(auditor)
        assert worker.process(run_id) == "done"
        thread = {"configurable": {"thread_id": run_id}}
        before = len(list(auditor.graph.checkpointer.list(thread)))  # type: ignore[union-attr]
        sweeper = _Sweeper(settings, worker.dispatcher.celery)
        sweeper._retain(auditor.store.engine)  # type: ignore[attr-defined]
        after = len(list(auditor.graph.checkpointer.list(thread)))  # type: ignore[union-attr]
        assert before > 1 and after == 1
        assert auditor.graph.get_state(thread).values["decision"].decision == "reject"
        _verifies(auditor, run_id)
