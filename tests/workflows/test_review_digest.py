"""A review carries who made it (their role) and the digest of the run as they read it, on
SQLite and PostgreSQL: a digest the run no longer has is refused and nothing is recorded;
the right one is recorded with the role, chained, and verifies; two reviewers sending the
right digest at once are told apart as before (one wins, the other is told who did)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.store.chain import review_digest, verify_run
from auditgraph.store.integrity import verify_store
from auditgraph.workflows import Auditor, ReviewError, ReviewInput, ReviewTaken, RunOutcome, StaleReview
from auditgraph.workflows.trace_contract import REVIEWER
from tests.conftest import load_case

ESCALATING = "ip_report_needs_specialist"


@pytest.fixture(params=["sqlite", "postgres"])
def auditor(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Auditor]:
    """The auditor as the doors wire it, on SQLite or on PostgreSQL as the runtime role."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    with open_auditor(Settings(database_url=url, screen_embedder="none")) as built:
        yield built


def _review(digest: str | None, *, reviewer: str = "ann") -> ReviewInput:
    return ReviewInput(
        reviewer=reviewer,
        decision="reject",
        reason="Counterfeit.",
        clause_ids=["CIP-1"],
        reviewer_role="reviewer",
        review_digest=digest,
    )


def test_the_digest_is_of_a_run_awaiting_review_only(auditor: Auditor) -> None:
    run_id = auditor.audit(load_case(ESCALATING)).run_id
    run, escalation = auditor.store.get_run(run_id), auditor.store.escalation(run_id)
    assert escalation is not None and run.head_hash
    digest = auditor.review_digest(run_id)
    assert digest == review_digest(run, escalation) and len(digest) == 64
    assert auditor.review_digest(run_id) == digest  # reading changes nothing
    other = auditor.audit(load_case(ESCALATING)).run_id
    assert auditor.review_digest(other) not in (None, digest)
    auditor.review(run_id, _review(digest))
    assert auditor.review_digest(run_id) is None
    decided = auditor.audit(load_case("counterfeit_watch_replica"))
    assert decided.status == "completed" and auditor.review_digest(decided.run_id) is None


def test_a_stale_digest_is_refused_and_nothing_is_recorded(auditor: Auditor) -> None:
    run_id = auditor.audit(load_case(ESCALATING)).run_id
    elsewhere = auditor.audit(load_case(ESCALATING)).run_id
    logged = len(auditor.store.log_entries())  # type: ignore[attr-defined]
    for stale in ("0" * 64, auditor.review_digest(elsewhere)):
        with pytest.raises(
            StaleReview, match=r"changed since the reviewer read it.*read the run again"
        ) as caught:
            auditor.review(run_id, _review(stale))
        assert isinstance(caught.value, ReviewError)
    assert auditor.store.reviews(run_id) == []
    assert auditor.store.get_run(run_id).status == "awaiting_review"
    escalation = auditor.store.escalation(run_id)
    assert escalation is not None and escalation.status == "open"
    assert len(auditor.store.log_entries()) == logged  # type: ignore[attr-defined]
    # the reviewer reads it again, and the review goes through
    outcome = auditor.review(run_id, _review(auditor.review_digest(run_id)))
    assert outcome.status == "completed"


def test_a_malformed_digest_is_refused_as_an_invalid_review(auditor: Auditor) -> None:
    run_id = auditor.audit(load_case(ESCALATING)).run_id
    body = {"reviewer": "ann", "decision": "reject", "reason": "Fake.", "review_digest": "not-a-digest"}
    with pytest.raises(ReviewError, match="invalid review: review_digest"):
        auditor.review(run_id, body)
    assert auditor.store.reviews(run_id) == []


def test_the_right_digest_is_recorded_with_the_role_and_chained(auditor: Auditor) -> None:
    run_id = auditor.audit(load_case(ESCALATING)).run_id
    digest = auditor.review_digest(run_id)
    outcome = auditor.review(run_id, _review(digest))
    assert outcome.status == "completed" and outcome.decision is not None
    (stored,) = auditor.store.reviews(run_id)
    assert (stored.reviewer, stored.reviewer_role, stored.review_digest) == ("ann", "reviewer", digest)
    chained = [s.output for s in auditor.store.steps(run_id) if s.kind == "interrupt" and s.agent == REVIEWER]
    assert len(chained) == 1 and chained[0] is not None
    assert (chained[0]["reviewer_role"], chained[0]["review_digest"]) == ("reviewer", digest)
    store = auditor.store
    assert verify_run(
        store.get_run(run_id), store.steps(run_id), store.decisions(run_id), store.reviews(run_id)
    ).ok
    assert all(check.ok for check in verify_store(store)), verify_store(store)  # type: ignore[arg-type]


def test_a_review_without_a_digest_is_recorded_as_before(auditor: Auditor) -> None:
    run_id = auditor.audit(load_case(ESCALATING)).run_id
    auditor.review(
        run_id, {"reviewer": "ann", "decision": "reject", "reason": "Fake.", "clause_ids": ["CIP-1"]}
    )
    (stored,) = auditor.store.reviews(run_id)
    assert (stored.reviewer_role, stored.review_digest) == (None, None)
    assert all(check.ok for check in verify_store(auditor.store))  # type: ignore[arg-type]


def test_two_reviewers_with_the_right_digest_at_once_record_one(auditor: Auditor) -> None:
    run_id = auditor.audit(load_case(ESCALATING)).run_id
    digest = auditor.review_digest(run_id)
    start = threading.Barrier(2)
    won: list[RunOutcome] = []
    lost: list[BaseException] = []

    def review(reviewer: str) -> None:
        start.wait()
        try:
            won.append(auditor.review(run_id, _review(digest, reviewer=reviewer)))
        except BaseException as exc:  # the loser's refusal, checked below
            lost.append(exc)

    threads = [threading.Thread(target=review, args=(name,)) for name in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(lost) == 1, (won, lost)
    assert isinstance(lost[0], ReviewTaken), lost[0]
    (stored,) = auditor.store.reviews(run_id)
    assert stored.review_digest == digest
    assert auditor.store.get_run(run_id).status == "completed"
    assert all(check.ok for check in verify_store(auditor.store))  # type: ignore[arg-type]
