"""Idempotency keys on SQLite and PostgreSQL (as the runtime role): the first claim of a key
records it, every later one reads the first's run, concurrent claims agree on one winner,
and malformed keys are refused by name."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from auditgraph.store import make_engine
from auditgraph.store.submissions import MAX_KEY, Submission, SubmissionStore, digest_body, valid_key

BODY = digest_body({"case_id": "c1", "kind": "listing"})
OTHER = digest_body({"case_id": "c2", "kind": "listing"})


def test_the_first_claim_records_the_key_and_later_ones_read_it(engine: Engine) -> None:
    store = SubmissionStore(engine, clock=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert store.get("order-1") is None
    first = store.claim("order-1", BODY, "run_a")
    assert first == Submission("order-1", BODY, "run_a", datetime(2026, 12, 1, 9, 0, tzinfo=UTC), True)
    again = store.claim("order-1", OTHER, "run_b")
    assert (again.created, again.run_id, again.body_digest) == (False, "run_a", BODY)
    assert store.get("order-1") == again
    assert store.claim("order-2", BODY, "run_c").created


def test_the_body_digest_ignores_layout_and_key_order() -> None:
    assert digest_body({"a": 1, "b": [1, 2]}) == digest_body({"b": [1, 2], "a": 1})
    assert digest_body({"a": 1}) != digest_body({"a": 2})
    assert len(BODY) == 64


def test_concurrent_claims_of_one_key_agree_on_one_run(engine: Engine) -> None:
    store = SubmissionStore(engine)
    threads = 8
    start = threading.Barrier(threads)
    results: list[Submission] = []
    errors: list[BaseException] = []

    def claim(n: int) -> None:
        try:
            start.wait()
            results.append(store.claim("race-1", BODY, f"run_{n}"))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    workers = [threading.Thread(target=claim, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sum(r.created for r in results) == 1
    winner = next(r for r in results if r.created)
    assert {r.run_id for r in results} == {winner.run_id}
    assert store.get("race-1") == Submission(winner.key, BODY, winner.run_id, winner.created_at, False)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("", "non-empty"),
        ("x" * (MAX_KEY + 1), f"at most {MAX_KEY}"),
        ("has space", "printable ASCII"),
        ("tab\there", "printable ASCII"),
        ("naïve", "printable ASCII"),
        ("line\nbreak", "printable ASCII"),
    ],
)
def test_malformed_keys_are_refused_by_name(engine: Engine, key: str, words: str) -> None:
    store = SubmissionStore(engine)
    for call in (lambda: store.claim(key, BODY, "run_a"), lambda: store.get(key)):
        with pytest.raises(ValueError, match=words):
            call()


def test_keys_of_every_allowed_shape(engine: Engine) -> None:
    store = SubmissionStore(engine)
    for key in ("a", "x" * MAX_KEY, "550e8400-e29b-41d4-a716-446655440000", "!~{}:/?#"):
        assert valid_key(key) == key
        assert store.claim(key, BODY, "run_a").created


def test_a_malformed_body_digest_is_refused(engine: Engine) -> None:
    store = SubmissionStore(engine)
    with pytest.raises(ValueError, match="not a SHA-256 hex digest"):
        store.claim("order-1", "abc", "run_a")
    assert store.get("order-1") is None


def test_no_role_can_change_or_remove_a_claimed_key(postgres_url: str, postgres_roles: object) -> None:
    SubmissionStore(make_engine(postgres_url)).claim("order-1", BODY, "run_a")
    for url in (postgres_url, postgres_roles.migration):  # type: ignore[attr-defined]
        engine = create_engine(url)
        for statement in ("UPDATE submission SET run_id = 'run_b'", "DELETE FROM submission"):
            with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
                conn.execute(text(statement))
            said = str(caught.value.orig)
            assert "permission denied" in said or "append-only" in said, said
        engine.dispose()
