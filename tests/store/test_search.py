"""Run search on SQLite and PostgreSQL (as the runtime role): each filter alone and
together, newest first, and keyset pages that never skip or repeat a run, even when many
runs share a start time; the in-memory store answers the same."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from auditgraph.store import AuditStore, MemoryAuditStore, SqlAuditStore, make_engine
from auditgraph.store.records import DecisionRecord, EscalationRecord, RunRecord
from auditgraph.store.search import RunCursor, RunFilter

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
IP_CLAUSES = ("CIP-1", "CIP-2")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuditStore]:
    """A new store: in memory, on a SQLite file, or on a private PostgreSQL schema the app
    uses as its runtime role."""
    if request.param == "memory":
        yield MemoryAuditStore()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    engine = make_engine(url)
    yield SqlAuditStore(engine)
    engine.dispose()


def _run(
    store: AuditStore,
    run_id: str,
    *,
    at: datetime,
    seller: str = "S1",
    kind: str = "listing",
    decision: str | None = None,
    clauses: tuple[str, ...] = (),
    escalated: tuple[str, tuple[str, ...]] | None = None,
    status: str | None = None,
) -> None:
    """A run as the store holds it: started, maybe escalated, maybe decided."""
    run = RunRecord(
        run_id=run_id,
        case_id=f"case_{run_id}",
        case_kind=kind,
        agent="rules",
        agent_version="1",
        policy_version="2026.12.1",
        started=at,
    )
    store.start_run(run, {"case_id": run.case_id, "kind": kind, "listing": {"seller_id": seller}})
    if escalated is not None:
        queue, areas = escalated
        store.open_escalation(
            EscalationRecord(
                run_id=run_id,
                case_id=run.case_id,
                queue=queue,
                priority=2,
                reasons=["test"],
                areas=list(areas),
                agent_decision="escalate",
            )
        )
    record = None
    if decision is not None:
        record = DecisionRecord(
            run_id=run_id,
            case_id=run.case_id,
            decision=decision,  # type: ignore[arg-type]
            decided_by="agent",
            clause_ids=list(clauses),
            confidence=0.9,
            rationale="test",
        )
    final = status or ("completed" if decision else "awaiting_review" if escalated else "failed")
    store.finish_run(run_id, final, decision=record)  # type: ignore[arg-type]


@pytest.fixture
def store(empty: AuditStore) -> AuditStore:
    """Six runs an hour apart, r1 the oldest."""
    built = empty
    hour = timedelta(hours=1)
    _run(built, "r1", at=T0, decision="reject", clauses=("CIP-1",))
    _run(built, "r2", at=T0 + hour, seller="S2", escalated=("ip", ("intellectual_property",)))
    _run(built, "r3", at=T0 + 2 * hour, kind="appeal", decision="approve")
    _run(
        built,
        "r4",
        at=T0 + 3 * hour,
        seller="S2",
        decision="restrict",
        clauses=("DG-2",),
        escalated=("safety", ("dangerous_goods", "weapons")),
    )
    _run(built, "r5", at=T0 + 4 * hour, seller="S3")
    _run(built, "r6", at=T0 + 5 * hour, decision="reject", clauses=("DG-1", "CIP-2"))
    return built


def _ids(store: AuditStore, **fields: Any) -> list[str]:
    return [r.run_id for r in store.search_runs(RunFilter(**fields), limit=100)]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ["r6", "r5", "r4", "r3", "r2", "r1"]),
        ({"status": "awaiting_review"}, ["r2"]),
        ({"status": "failed"}, ["r5"]),
        ({"decision": "reject"}, ["r6", "r1"]),
        ({"queue": "safety"}, ["r4"]),
        ({"queue": "nowhere"}, []),
        ({"case_kind": "appeal"}, ["r3"]),
        ({"seller_id": "S2"}, ["r4", "r2"]),
        ({"since": T0 + timedelta(hours=4)}, ["r6", "r5"]),
        ({"until": T0 + timedelta(hours=1)}, ["r1"]),
        ({"since": T0 + timedelta(hours=1), "until": T0 + timedelta(hours=3)}, ["r3", "r2"]),
        ({"area": "weapons"}, ["r4"]),
        ({"area": "intellectual_property"}, ["r2"]),
        ({"area": "intellectual_property", "area_clauses": IP_CLAUSES}, ["r6", "r2", "r1"]),
        ({"area": "dangerous_goods", "area_clauses": ("DG-1", "DG-2")}, ["r6", "r4"]),
        ({"area": "nothing", "area_clauses": ("X-1",)}, []),
    ],
    ids=repr,
)
def test_each_filter_alone(store: AuditStore, fields: dict[str, Any], expected: list[str]) -> None:
    assert _ids(store, **fields) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"decision": "reject", "seller_id": "S1"}, ["r6", "r1"]),
        ({"decision": "reject", "since": T0 + timedelta(minutes=1)}, ["r6"]),
        ({"status": "completed", "seller_id": "S2", "queue": "safety"}, ["r4"]),
        ({"status": "completed", "queue": "ip"}, []),
        (
            {
                "case_kind": "listing",
                "area": "intellectual_property",
                "area_clauses": IP_CLAUSES,
                "until": T0 + timedelta(hours=5),
            },
            ["r2", "r1"],
        ),
        ({"area": "dangerous_goods", "area_clauses": ("DG-1",), "decision": "restrict"}, ["r4"]),
        ({"seller_id": "S1", "case_kind": "appeal", "decision": "approve", "status": "completed"}, ["r3"]),
    ],
    ids=repr,
)
def test_filters_together(store: AuditStore, fields: dict[str, Any], expected: list[str]) -> None:
    assert _ids(store, **fields) == expected


def test_times_in_any_zone_mean_the_same_instant(store: AuditStore) -> None:
    east = timezone(timedelta(hours=5))
    assert _ids(store, since=(T0 + timedelta(hours=4)).astimezone(east)) == ["r6", "r5"]


def test_pages_never_skip_or_repeat_a_run_sharing_a_start_time(empty: AuditStore) -> None:
    store = empty
    same = T0 + timedelta(hours=2)
    for n in range(7):
        _run(store, f"same_{n}", at=same, decision="approve")
    _run(store, "older", at=T0, decision="approve")
    _run(store, "newer", at=T0 + timedelta(hours=3), decision="approve")
    everything = _ids(store)
    assert everything == ["newer", *(f"same_{n}" for n in reversed(range(7))), "older"]

    seen: list[str] = []
    after: RunCursor | None = None
    pages = 0
    while True:
        page = store.search_runs(RunFilter(decision="approve"), limit=2, after=after)
        if not page:
            break
        pages += 1
        seen.extend(r.run_id for r in page)
        after = RunCursor.decode(RunCursor.of(page[-1]).encode())
        if pages == 2:  # a run started meanwhile is newer than every page: it shifts nothing
            _run(store, "meanwhile", at=T0 + timedelta(hours=9), decision="approve")
    assert pages == 5
    assert seen == everything


def test_a_cursor_reads_back_as_it_was(store: AuditStore) -> None:
    cursor = RunCursor(datetime(2026, 12, 1, 9, 30, 0, 123456, tzinfo=UTC), "run_0123abcd")
    text = cursor.encode()
    assert text.replace("-", "").replace("_", "").isalnum()
    assert RunCursor.decode(text) == cursor


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "!!!!",
        "not a cursor",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b'{"v":1}').decode(),
        base64.urlsafe_b64encode(b'{"v":2,"s":"2026-12-01T09:00:00+00:00","r":"r1"}').decode(),
        base64.urlsafe_b64encode(b'{"v":1,"s":"2026-12-01T09:00:00","r":"r1"}').decode(),
        base64.urlsafe_b64encode(b'{"v":1,"s":"yesterday","r":"r1"}').decode(),
        base64.urlsafe_b64encode(b'{"v":1,"s":"2026-12-01T09:00:00+00:00","r":""}').decode(),
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        "x" * 500,
    ],
)
def test_a_garbled_cursor_is_refused_in_words(text: str) -> None:
    with pytest.raises(ValueError, match="not one this server gave out") as caught:
        RunCursor.decode(text)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"since": datetime(2026, 12, 1)}, "no time zone"),  # noqa: DTZ001 - the point of the test
        ({"until": datetime(2026, 12, 1)}, "no time zone"),  # noqa: DTZ001
        ({"since": T0, "until": T0}, "not before"),
        ({"area_clauses": ("CIP-1",)}, "without their area"),
    ],
)
def test_a_bad_filter_is_refused_in_words(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        RunFilter(**fields)


def test_a_limit_below_one_is_refused(store: AuditStore) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        store.search_runs(RunFilter(), limit=0)
