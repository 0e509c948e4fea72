"""A run is reviewed once, however reviews race or die.

Two reviewers' processes racing on one escalated run: one review is recorded and applied,
the other is refused in one line naming who decided what and when, and the run's record
verifies. A review whose process died after its row committed shows in the queue as
"review recorded, not applied"; a different decision is refused; `recover` applies it.

Each test runs on a new SQLite file and on a new PostgreSQL schema (`database_url`, as the
app's runtime role), the races with fewer runs on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.store import ReviewConflict, SqlAuditStore
from auditgraph.store.chain import verify_run
from auditgraph.store.errors import describe_database_error
from auditgraph.store.tables import ReviewRow
from auditgraph.workflows import Auditor, ReviewInput, ReviewTaken
from auditgraph.workflows.nodes import review_record
from tests.conftest import is_postgres, load_case

runner = CliRunner()

CASE = "unknown_seller"
REVIEWS: dict[str, dict[str, Any]] = {
    "approve": {"reviewer": "ann", "decision": "approve", "reason": "A known replica seller? No: genuine."},
    "reject": {"reviewer": "bob", "decision": "reject", "reason": "A replica.", "clause_ids": ["CIP-1"]},
}
PAIRS = {"sqlite": 200, "postgres": 30}
"""Runs raced per database: PostgreSQL's are slower to audit and its locking needs fewer."""


def _settings(url: str) -> Settings:
    return Settings(database_url=url, model="rules")


def _backend(url: str) -> str:
    return "postgres" if is_postgres(url) else "sqlite"


@pytest.fixture
def settings(settings_on_each_database: Settings) -> Settings:
    """The auditor and the CLI on SQLite, and on PostgreSQL."""
    return settings_on_each_database


def _escalate(url: str, count: int) -> list[str]:
    """`count` runs of a cheap escalating case, awaiting review."""
    case = load_case(CASE)
    with open_auditor(_settings(url)) as auditor:
        runs = [auditor.audit(case) for _ in range(count)]
    assert {r.status for r in runs} == {"awaiting_review"}
    return [r.run_id for r in runs]


def _racer(url: str, run_ids: list[str], decision: str, barrier: Any, results: Any) -> None:
    """In a child process: review each run with `decision` the moment the other racer does."""
    with open_auditor(_settings(url)) as auditor:
        for run_id in run_ids:
            barrier.wait(timeout=120)
            try:
                outcome = auditor.review(run_id, REVIEWS[decision])
                results.put(
                    (run_id, decision, "won", outcome.decision.decision if outcome.decision else None)
                )
            except ReviewTaken as exc:
                results.put((run_id, decision, "lost", str(exc)))
            except BaseException as exc:
                results.put((run_id, decision, "error", f"{type(exc).__name__}: {exc}"))


def _race(url: str, pairs: int) -> dict[str, int]:
    """Race two reviewer processes with different decisions over `pairs` escalated runs."""
    run_ids = _escalate(url, pairs)
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    racers = [ctx.Process(target=_racer, args=(url, run_ids, d, barrier, results)) for d in REVIEWS]
    for racer in racers:
        racer.start()
    got = [results.get(timeout=300) for _ in range(2 * pairs)]
    for racer in racers:
        racer.join(timeout=60)
        assert racer.exitcode == 0
    by_run: dict[str, list[tuple[str, str, str, Any]]] = {}
    for item in got:
        by_run.setdefault(item[0], []).append(item)
    errors = [g for g in got if g[2] == "error"]
    assert not errors, errors[:3]

    double = 0
    with open_auditor(_settings(url)) as auditor:
        store = auditor.store
        for run_id in run_ids:
            outcomes = sorted(by_run[run_id], key=lambda g: g[2])
            assert [o[2] for o in outcomes] == ["lost", "won"], outcomes
            (_, loser, _, message), (_, winner, _, applied) = outcomes
            assert applied == winner
            reviews, decisions = store.reviews(run_id), store.decisions(run_id)
            double += len(reviews) > 1
            assert len(reviews) == 1 and reviews[0].decision == winner
            assert [d.decision for d in decisions] == [winner]
            run = store.get_run(run_id)
            assert (run.status, run.decision) == ("completed", winner)
            first = reviews[0]
            assert "\n" not in message
            assert (
                f"already reviewed: {winner} by {first.reviewer} at {first.created_at:%Y-%m-%d %H:%M:%S}"
                in (message)
            )
            assert f"your {loser} was not recorded" in message
            check = verify_run(run, store.steps(run_id), decisions, reviews)
            assert check.ok, (run_id, check.problems)
        assert store.open_escalations() == []
    return {"pairs": pairs, "double_reviews": double}


@pytest.mark.slow
def test_racing_reviews_record_one(database_url: str) -> None:
    pairs = PAIRS[_backend(database_url)]
    figures = _race(database_url, pairs)
    print(f"\n{_backend(database_url)} review races: {figures}")
    assert figures == {"pairs": pairs, "double_reviews": 0}


# SQLite only: the loser is told by the same `ReviewTaken` on either database (the race
# above checks its one line on PostgreSQL); this checks how the command prints it, and two
# command processes cost ~15 s.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_racing_review_commands_tell_the_loser_in_one_line(database_url: str) -> None:
    """Two `auditgraph review` processes on one run: exit 0 and exit 2, one line, no traceback."""
    url = database_url
    [run_id] = _escalate(url, 1)
    env = {**os.environ, "AUDITGRAPH_DATABASE_URL": url}
    exe = str(Path(sys.executable).parent / "auditgraph")

    def command(decision: str) -> list[str]:
        review = REVIEWS[decision]
        clauses = [a for c in review.get("clause_ids", []) for a in ("--clause", c)]
        return [exe, "review", run_id, "--decision", decision, "--reason", review["reason"],
                "--reviewer", review["reviewer"], *clauses]  # fmt: skip

    procs = [subprocess.Popen(command(d), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for d in REVIEWS]  # fmt: skip
    done = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert sorted(code for code, _, _ in done) == [0, 2], done
    _, _, said = next(d for d in done if d[0] == 2)
    assert "Traceback" not in said and "SELECT" not in said and "INSERT" not in said and "UPDATE" not in said
    assert len(said.strip().splitlines()) == 1, said
    assert "already reviewed:" in said and "was not recorded" in said


def _record_without_applying(auditor: Auditor, run_id: str, review: dict[str, Any]) -> None:
    """What a review's process killed right after its review row committed leaves."""
    escalation = auditor.store.escalation(run_id)
    assert escalation is not None
    verdict = auditor.graph.get_state({"configurable": {"thread_id": run_id}}).values["verdict"]
    record = review_record(
        auditor.context, run_id, escalation, ReviewInput.model_validate(review), verdict.clause_ids
    )
    auditor.store.record_review(record)


def test_a_review_recorded_and_not_applied_is_queued_refused_and_recovered(settings: Settings) -> None:
    [run_id] = _escalate(settings.database_url, 1)
    with open_auditor(settings) as auditor:
        _record_without_applying(auditor, run_id, REVIEWS["reject"])
        assert auditor.store.get_run(run_id).status == "awaiting_review"
        assert auditor.store.open_escalations() == []

    shown = runner.invoke(app, ["queue"], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    assert "review recorded, not applied" in shown.output
    assert run_id in shown.output and "reject" in shown.output and "bob" in shown.output

    with open_auditor(settings) as auditor:
        with pytest.raises(ReviewTaken, match="already reviewed: reject by bob") as refused:
            auditor.review(run_id, REVIEWS["approve"])
        assert "your approve was not recorded" in str(refused.value)
    second = runner.invoke(
        app, ["review", run_id, "--decision", "approve", "--reason", "fine", "--reviewer", "cy"]
    )
    assert second.exit_code == 2 and "already reviewed: reject by bob" in second.output
    assert "Traceback" not in second.output

    recovered = runner.invoke(app, ["recover", run_id])
    assert recovered.exit_code == 0, recovered.output
    with open_auditor(settings) as auditor:
        store = auditor.store
        run = store.get_run(run_id)
        assert (run.status, run.decision) == ("completed", "reject")
        reviews, decisions = store.reviews(run_id), store.decisions(run_id)
        assert [(r.reviewer, r.decision) for r in reviews] == [("bob", "reject")]
        assert [(d.decision, d.decided_by) for d in decisions] == [("reject", "reviewer")]
        check = verify_run(run, store.steps(run_id), decisions, reviews)
        assert check.ok, check.problems
    assert runner.invoke(app, ["recover", run_id]).exit_code == 2
    assert "review recorded, not applied" not in runner.invoke(app, ["queue"]).output
    trace = runner.invoke(app, ["trace", "verify", run_id])
    assert trace.exit_code == 0, trace.output


def test_recover_refuses_a_run_awaiting_review_with_no_review(settings: Settings) -> None:
    [run_id] = _escalate(settings.database_url, 1)
    result = runner.invoke(app, ["recover", run_id])
    assert result.exit_code == 2 and "no review is recorded" in result.output


def test_the_store_refuses_a_second_review_of_an_escalation(database_url: str) -> None:
    url = database_url
    [run_id] = _escalate(url, 1)
    with open_auditor(_settings(url)) as auditor:
        _record_without_applying(auditor, run_id, REVIEWS["reject"])
        with pytest.raises(ReviewConflict) as conflict:
            _record_without_applying(auditor, run_id, REVIEWS["approve"])
        assert conflict.value.recorded is not None and conflict.value.recorded.decision == "reject"
        store = auditor.store
        assert isinstance(store, SqlAuditStore)
        # Past the claim too: the unique constraint refuses a second row for the escalation.
        [first] = store.reviews(run_id)
        row = {**first.model_dump(), "review_id": "rev_second", "decision": "approve"}
        with pytest.raises(IntegrityError) as refused, store.engine.begin() as conn:
            conn.execute(insert(ReviewRow.__table__), row)  # type: ignore[attr-defined]
        said = describe_database_error(refused.value)
        assert "INSERT" not in said and first.reason not in said and run_id not in said
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM review")).scalar() == 1


SAME_DECISION_RUNS = {"sqlite": 40, "postgres": 10}


def _same_racer(url: str, run_ids: list[str], barrier: Any, results: Any) -> None:
    """In a child process: submit the decision already recorded, the moment the other racer does."""
    with open_auditor(_settings(url)) as auditor:
        for run_id in run_ids:
            barrier.wait(timeout=120)
            try:
                outcome = auditor.review(run_id, REVIEWS["reject"])
                results.put((run_id, "won", outcome.decision.decision if outcome.decision else None))
            except ReviewTaken as exc:
                results.put((run_id, "lost", str(exc)))
            except BaseException as exc:
                results.put((run_id, "error", f"{type(exc).__name__}: {exc}"))


@pytest.mark.slow
def test_the_same_decision_resubmitted_concurrently_is_applied_once(database_url: str) -> None:
    """A review recorded and not applied, then submitted again by two processes at once (a
    client retrying, two tabs): one applies it, the other is told; one decision, chained."""
    url = database_url
    runs = SAME_DECISION_RUNS[_backend(url)]
    run_ids = _escalate(url, runs)
    with open_auditor(_settings(url)) as auditor:
        for run_id in run_ids:
            _record_without_applying(auditor, run_id, REVIEWS["reject"])
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    racers = [ctx.Process(target=_same_racer, args=(url, run_ids, barrier, results)) for _ in range(2)]
    for racer in racers:
        racer.start()
    got = [results.get(timeout=300) for _ in range(2 * runs)]
    for racer in racers:
        racer.join(timeout=60)
        assert racer.exitcode == 0
    assert not [g for g in got if g[1] == "error"], got[:3]
    with open_auditor(_settings(url)) as auditor:
        store = auditor.store
        for run_id in run_ids:
            outcomes = sorted((g for g in got if g[0] == run_id), key=lambda g: g[1])
            assert [o[1] for o in outcomes] == ["lost", "won"], outcomes
            assert "already reviewed: reject by bob" in outcomes[0][2] and "\n" not in outcomes[0][2]
            decisions, reviews = store.decisions(run_id), store.reviews(run_id)
            assert [d.decision for d in decisions] == ["reject"] and len(reviews) == 1
            run = store.get_run(run_id)
            assert verify_run(run, store.steps(run_id), decisions, reviews).ok


def test_a_review_being_applied_is_refused_verified_and_recovered(settings: Settings) -> None:
    """A process began applying the recorded review (the run is running) and stopped."""
    [run_id] = _escalate(settings.database_url, 1)
    with open_auditor(settings) as auditor:
        _record_without_applying(auditor, run_id, REVIEWS["reject"])
        assert auditor.store.start_applying_review(run_id)
        assert not auditor.store.start_applying_review(run_id)  # only once
        with pytest.raises(ReviewTaken, match="another process is applying that review"):
            auditor.review(run_id, REVIEWS["reject"])
    shown = runner.invoke(app, ["queue"], env={"COLUMNS": "250"})
    assert "review recorded, not applied" in shown.output and run_id in shown.output
    verified = runner.invoke(app, ["trace", "verify", run_id])
    assert verified.exit_code == 0, verified.output
    recovered = runner.invoke(app, ["recover", run_id])
    assert recovered.exit_code == 0, recovered.output
    with open_auditor(settings) as auditor:
        store = auditor.store
        assert [d.decision for d in store.decisions(run_id)] == ["reject"]
        assert store.get_run(run_id).status == "completed"
    assert runner.invoke(app, ["trace", "verify", run_id]).exit_code == 0


def _edit_as_attacker(url: str, request: pytest.FixtureRequest, statement: str, **params: Any) -> None:
    """Run `statement` as someone with the database's keys: on SQLite anyone who can write
    the file; on PostgreSQL a superuser past the record's triggers (the runtime role holds
    no UPDATE on the record at all)."""
    if is_postgres(url):
        url = request.getfixturevalue("postgres_roles").admin
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if is_postgres(url):
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def test_a_review_edited_while_being_applied_does_not_verify(
    settings: Settings, request: pytest.FixtureRequest
) -> None:
    [run_id] = _escalate(settings.database_url, 1)
    with open_auditor(settings) as auditor:
        _record_without_applying(auditor, run_id, REVIEWS["reject"])
        assert auditor.store.start_applying_review(run_id)
    _edit_as_attacker(
        settings.database_url, request, "UPDATE review SET decision = 'approve' WHERE run_id = :r", r=run_id
    )
    verified = runner.invoke(app, ["trace", "verify", run_id])
    assert verified.exit_code == 1 and "decisions or reviews" in verified.output, verified.output
    refused = runner.invoke(app, ["recover", run_id])
    assert refused.exit_code == 2 and "does not verify" in refused.output, refused.output
