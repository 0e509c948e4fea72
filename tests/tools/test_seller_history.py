"""Seller history: one shared suite over the in-memory and SQLite backends, plus SQL retries."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from auditgraph.store.schema import current_revision, head_revision
from auditgraph.tools import BundledPaths
from auditgraph.tools.retry import BackendUnavailable
from auditgraph.tools.seller_history import (
    MemorySellerBackend,
    PriorViolation,
    SellerBackend,
    SellerRecord,
    SqlSellerBackend,
    load_sellers,
    lookup_seller_history,
    make_seller_history_tool,
)

AS_OF = date(2026, 11, 25)
MIXED = SellerRecord(
    seller_id="T00001",
    display_name="mixed_history_test",
    region="DE",
    joined_on=date(2024, 1, 10),
    kyc_verified=True,
    prior_violations=[
        PriorViolation(area="counterfeit_ip", clause_id="CIP-1", date=date(2025, 3, 1), outcome="upheld"),
        PriorViolation(area="off_platform", clause_id="OFP-1", date=date(2026, 8, 9), outcome="warning"),
        PriorViolation(area="counterfeit_ip", clause_id="CIP-2", date=date(2024, 5, 2), outcome="overturned"),
        PriorViolation(area="weapons", clause_id="WPN-4", date=date(2026, 1, 20), outcome="upheld"),
        PriorViolation(area="counterfeit_ip", clause_id="CIP-6", date=date(2025, 11, 30), outcome="upheld"),
    ],
    strikes=2,
    dispute_rate=0.05,
    refund_rate=0.07,
    listing_volume=90,
)
"""A seller with every outcome, violations out of date order; added to the bundled sellers."""


@pytest.fixture(scope="module")
def records(paths: BundledPaths) -> list[SellerRecord]:
    """The bundled sellers plus MIXED."""
    return [*load_sellers(paths.sellers), MIXED]


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest, records: list[SellerRecord]) -> SellerBackend:
    """Each seller backend, holding the same records."""
    if request.param == "memory":
        return MemorySellerBackend(records)
    sql = SqlSellerBackend(create_engine("sqlite://"))
    sql.seed(records)
    return sql


class UnavailableSellers:
    """A complete fake backend whose store is always down."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def get(self, seller_id: str) -> SellerRecord | None:
        """Always fails the way a backend does after its retries."""
        self.calls.append(seller_id)
        raise BackendUnavailable("OperationalError: database is locked (after 3 attempts)")

    def examples(self) -> list[SellerRecord]:
        """Nothing can be listed while the store is down."""
        raise BackendUnavailable("OperationalError: database is locked (after 3 attempts)")


class BuggySellers:
    """A fake backend with a bug: it raises something other than BackendUnavailable."""

    def get(self, seller_id: str) -> SellerRecord | None:
        """Fails with a programming error."""
        raise KeyError(seller_id)

    def examples(self) -> list[SellerRecord]:
        """No records."""
        return []


# ---------------------------------------------------------------- shared backend suite


def test_backend_returns_none_for_unknown_seller(backend: SellerBackend) -> None:
    assert backend.get("S99999") is None


def test_backend_returns_the_record(backend: SellerBackend, records: list[SellerRecord]) -> None:
    expected = next(r for r in records if r.seller_id == "S00003")
    assert backend.get("S00003") == expected


def test_backend_examples_are_every_record_in_id_order(
    backend: SellerBackend, records: list[SellerRecord]
) -> None:
    assert isinstance(backend, MemorySellerBackend | SqlSellerBackend)
    examples = backend.examples()
    assert examples == sorted(records, key=lambda r: r.seller_id)
    assert len(examples) == 241


def test_found_seller_history(backend: SellerBackend) -> None:
    history = lookup_seller_history(backend, "S00001", AS_OF)
    assert history.status == "ok"
    assert history.error is None
    assert history.display_name == "Lumen Timepieces"
    assert history.region == "US"
    assert history.kyc_verified is True
    assert history.verified_brands == ["Orvelle Geneve"]
    assert history.prior_violations == []
    assert history.upheld_by_area == {}


def test_unknown_seller_is_not_found_not_an_error(backend: SellerBackend) -> None:
    history = lookup_seller_history(backend, "S99999", AS_OF)
    assert history.status == "not_found"
    assert history.seller_id == "S99999"
    assert history.error == "no seller 'S99999'"
    assert history.account_age_days is None


@pytest.mark.parametrize(
    ("seller_id", "as_of", "days"),
    [
        ("S00002", date(2026, 11, 25), 23),
        ("S00002", date(2026, 11, 2), 0),
        ("S00002", date(2026, 10, 1), 0),
        ("S00001", date(2026, 11, 25), 2813),
        ("S00001", date(2020, 3, 14), 366),
    ],
    ids=["new-account", "joined-today", "before-joining-is-zero", "established", "leap-year"],
)
def test_account_age_counts_up_to_as_of(
    backend: SellerBackend, seller_id: str, as_of: date, days: int
) -> None:
    assert lookup_seller_history(backend, seller_id, as_of).account_age_days == days


@pytest.mark.parametrize(
    ("seller_id", "upheld"),
    [
        ("S00003", {"counterfeit_ip": 4}),
        ("S00005", {}),
        ("S00008", {"recalled_products": 1}),
        ("S00010", {"off_platform": 2}),
        ("T00001", {"counterfeit_ip": 2, "weapons": 1}),
    ],
)
def test_upheld_by_area_counts_only_upheld(backend: SellerBackend, seller_id: str, upheld: dict) -> None:
    assert lookup_seller_history(backend, seller_id, AS_OF).upheld_by_area == upheld


def test_prior_violations_newest_first(backend: SellerBackend) -> None:
    history = lookup_seller_history(backend, "T00001", AS_OF)
    assert [v.date for v in history.prior_violations] == [
        date(2026, 8, 9),
        date(2026, 1, 20),
        date(2025, 11, 30),
        date(2025, 3, 1),
        date(2024, 5, 2),
    ]
    assert history.strikes == 2
    bundled = lookup_seller_history(backend, "S00003", AS_OF)
    assert [v.clause_id for v in bundled.prior_violations] == ["CIP-6", "CIP-1", "CIP-2", "CIP-1"]


def test_tool_invokes_over_the_backend(backend: SellerBackend) -> None:
    tool = make_seller_history_tool(backend)
    history = tool.invoke({"seller_id": "S00003", "as_of": "2026-11-25"})
    assert history == lookup_seller_history(backend, "S00003", AS_OF)


# ---------------------------------------------------------------- failures


def test_unavailable_backend_becomes_unavailable_evidence() -> None:
    fake = UnavailableSellers()
    history = lookup_seller_history(fake, "S00003", AS_OF)
    assert history.status == "unavailable"
    assert history.seller_id == "S00003"
    assert history.error == "OperationalError: database is locked (after 3 attempts)"
    assert history.display_name is None
    assert fake.calls == ["S00003"]


def test_a_backend_bug_propagates() -> None:
    with pytest.raises(KeyError):
        lookup_seller_history(BuggySellers(), "S00003", AS_OF)


# ---------------------------------------------------------------- SQL backend


def test_seed_is_idempotent(records: list[SellerRecord]) -> None:
    sql = SqlSellerBackend(create_engine("sqlite://"))
    assert sql.seed(records) == 241
    assert sql.seed(records) == 241
    assert sql.seed([MIXED]) == 241
    assert len(sql.examples()) == 241


def test_the_sql_backend_reads_the_table_the_migrations_create(
    records: list[SellerRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    def create_all(*args: object, **kwargs: object) -> None:
        raise AssertionError("tables are created by the store's migrations, never by create_all")

    monkeypatch.setattr(SQLModel.metadata, "create_all", create_all)
    engine = create_engine("sqlite://")
    sql = SqlSellerBackend(engine)
    assert current_revision(engine) == head_revision()
    assert "seller" in inspect(engine).get_table_names()
    assert sql.seed(records) == 241


def test_seed_survives_a_second_backend_on_the_same_file(tmp_path: Path, records: list[SellerRecord]) -> None:
    url = f"sqlite:///{tmp_path / 'sellers.db'}"
    assert SqlSellerBackend(create_engine(url)).seed(records[:5]) == 5
    again = SqlSellerBackend(create_engine(url))
    assert again.seed(records) == 5
    assert again.get("S00003") == records[2]


class LockedDb(NamedTuple):
    """A seller backend on a SQLite file, and the connection locking that file."""

    backend: SqlSellerBackend
    engine: Engine
    locker: sqlite3.Connection


@pytest.fixture
def locked_db(tmp_path: Path, records: list[SellerRecord]) -> Iterator[LockedDb]:
    """A seeded SQLite file whose engine has a 10 ms busy timeout, locked out by a second
    connection holding `BEGIN EXCLUSIVE`."""
    path = tmp_path / "sellers.db"
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.01})
    backend = SqlSellerBackend(engine)
    backend.seed(records[:10])
    locker = sqlite3.connect(path, isolation_level=None, timeout=0.01)
    locker.execute("BEGIN EXCLUSIVE")
    yield LockedDb(backend, engine, locker)
    if locker.in_transaction:
        locker.execute("ROLLBACK")
    locker.close()
    engine.dispose()


def _record_errors(engine: Engine) -> list[BaseException]:
    errors: list[BaseException] = []

    @event.listens_for(engine, "handle_error")
    def _seen(context: ExceptionContext) -> None:
        errors.append(context.original_exception)

    return errors


def test_sql_backend_retries_a_locked_database_then_succeeds(
    locked_db: LockedDb, records: list[SellerRecord]
) -> None:
    errors = _record_errors(locked_db.engine)

    @event.listens_for(locked_db.engine, "handle_error")
    def _unlock_after_first_failure(context: ExceptionContext) -> None:
        if locked_db.locker.in_transaction:
            locked_db.locker.execute("COMMIT")

    assert locked_db.backend.get("S00003") == records[2]
    assert len(errors) == 1
    assert "database is locked" in str(errors[0])


def test_sql_backend_gives_up_after_three_locked_attempts(locked_db: LockedDb) -> None:
    errors = _record_errors(locked_db.engine)
    history = lookup_seller_history(locked_db.backend, "S00003", AS_OF)
    assert history.status == "unavailable"
    assert history.error is not None
    assert history.error.startswith("OperationalError: ")
    assert "database is locked" in history.error
    assert history.error.endswith("(after 3 attempts)")
    assert len(errors) == 3
    assert all(isinstance(e, sqlite3.OperationalError) for e in errors)


def test_sql_backend_raises_backend_unavailable_from_operational_error(locked_db: LockedDb) -> None:
    with pytest.raises(BackendUnavailable) as info:
        locked_db.backend.get("S00003")
    assert isinstance(info.value.__cause__, OperationalError)
