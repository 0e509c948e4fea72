"""Seller history: who is selling, and what they did before.

Evidence only: account age, region, prior violations by policy area with dates and
outcomes, strikes, dispute and refund rates, listing volume and verified brand
authorisations. The bundled backend keeps the demo sellers in the store's `seller` table.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, func, select

from auditgraph.store.schema import schema_lock, upgrade
from auditgraph.store.tables import SellerRow
from auditgraph.tools.case import PolicyArea
from auditgraph.tools.evidence import Evidence
from auditgraph.tools.retry import BackendUnavailable, call_with_retry

__all__ = [
    "MemorySellerBackend",
    "PriorViolation",
    "SellerBackend",
    "SellerHistory",
    "SellerHistoryInput",
    "SellerRecord",
    "SqlSellerBackend",
    "load_sellers",
    "lookup_seller_history",
    "make_seller_history_tool",
]


class PriorViolation(BaseModel):
    """One past enforcement against the seller."""

    model_config = ConfigDict(frozen=True)

    area: PolicyArea
    clause_id: str
    date: date
    outcome: Literal["upheld", "overturned", "warning"]


class SellerRecord(BaseModel):
    """A seller as the marketplace knows them."""

    model_config = ConfigDict(frozen=True)

    seller_id: str
    display_name: str
    region: str
    joined_on: date
    kyc_verified: bool
    prior_violations: list[PriorViolation] = Field(default_factory=list)
    strikes: int = Field(ge=0)
    dispute_rate: float = Field(ge=0, le=1)
    refund_rate: float = Field(ge=0, le=1)
    listing_volume: int = Field(ge=0)
    verified_brands: list[str] = Field(default_factory=list)
    """Brands the seller has proven authorisation to sell."""


class SellerHistoryInput(BaseModel):
    """Arguments of the seller-history tool."""

    seller_id: str = Field(description="The seller id from the listing.")
    as_of: date = Field(description="The date the case was received; ages count up to it.")


class SellerHistory(Evidence):
    """What the seller-history tool found."""

    tool: Literal["seller_history"] = "seller_history"
    seller_id: str | None = None
    display_name: str | None = None
    region: str | None = None
    account_age_days: int | None = None
    kyc_verified: bool | None = None
    strikes: int = 0
    dispute_rate: float | None = None
    refund_rate: float | None = None
    listing_volume: int | None = None
    upheld_by_area: dict[str, int] = Field(default_factory=dict)
    """Upheld past violations counted per policy area."""
    prior_violations: list[PriorViolation] = Field(default_factory=list)
    verified_brands: list[str] = Field(default_factory=list)


class SellerBackend(Protocol):
    """Where seller records come from.

    Contract: `get` returns the record, or None when no seller has that id (an answer,
    not a failure). It raises `BackendUnavailable` when the store cannot be read after
    its own retries; any other exception is a bug and propagates.
    """

    def get(self, seller_id: str) -> SellerRecord | None:
        """The seller's record, or None if unknown."""
        ...


class MemorySellerBackend:
    """Sellers held in a dict: tests and small embedded runs."""

    def __init__(self, records: list[SellerRecord]) -> None:
        self._by_id = {r.seller_id: r for r in records}

    def get(self, seller_id: str) -> SellerRecord | None:
        """The seller's record, or None if unknown."""
        return self._by_id.get(seller_id)

    def examples(self) -> list[SellerRecord]:
        """Every record held, in id order."""
        return sorted(self._by_id.values(), key=lambda r: r.seller_id)


class SqlSellerBackend:
    """Seller records in the `seller` table (SQLite or PostgreSQL), retried when locked.

    The table is the store's schema (migration 0002): opening the backend brings the
    database to the newest revision, as opening a store does.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        upgrade(engine)

    def seed(self, records: list[SellerRecord]) -> int:
        """Load `records` if the table is empty; returns how many rows it now holds.

        Safe when many processes open a new database at once: the check and the insert
        run under the schema lock, and the insert skips a seller already there.
        """
        with Session(self._engine) as session:
            count = session.exec(select(func.count()).select_from(SellerRow)).one()
        if count or not records:
            return count
        with schema_lock(self._engine), self._engine.begin() as conn:
            count = conn.execute(select(func.count()).select_from(SellerRow)).scalar_one()
            if count == 0:
                rows = [{"seller_id": r.seller_id, "record": r.model_dump(mode="json")} for r in records]
                conn.execute(_insert_new(self._engine).values(rows))
                count = conn.execute(select(func.count()).select_from(SellerRow)).scalar_one()
        return count

    def get(self, seller_id: str) -> SellerRecord | None:
        """The seller's record, or None if unknown."""
        row, _ = call_with_retry(lambda: self._fetch(seller_id), retry_on=(OperationalError,))
        return None if row is None else SellerRecord.model_validate(row)

    def _fetch(self, seller_id: str) -> dict | None:
        query = select(SellerRow.record).where(SellerRow.seller_id == seller_id)  # type: ignore[call-overload]
        with self._engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def examples(self) -> list[SellerRecord]:
        """Every record held, in id order."""
        with Session(self._engine) as session:
            rows = session.exec(select(SellerRow).order_by(SellerRow.seller_id)).all()
            return [SellerRecord.model_validate(r.record) for r in rows]


def _insert_new(engine: Engine) -> Any:
    # INSERT ... ON CONFLICT DO NOTHING, in the dialect's own words.
    table = SellerRow.__table__  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing(index_elements=["seller_id"])
    if engine.dialect.name == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["seller_id"])
    return insert(table)


def load_sellers(path: Path) -> list[SellerRecord]:
    """Read the bundled sellers file (a JSON list of records)."""
    return [SellerRecord.model_validate(r) for r in json.loads(path.read_text("utf-8"))]


def lookup_seller_history(backend: SellerBackend, seller_id: str, as_of: date) -> SellerHistory:
    """Gather the seller's history as evidence; a backend failure becomes `unavailable`."""
    try:
        record = backend.get(seller_id)
    except BackendUnavailable as exc:
        return SellerHistory(seller_id=seller_id, status="unavailable", error=str(exc))
    if record is None:
        return SellerHistory(seller_id=seller_id, status="not_found", error=f"no seller {seller_id!r}")
    upheld = Counter(v.area for v in record.prior_violations if v.outcome == "upheld")
    return SellerHistory(
        seller_id=seller_id,
        display_name=record.display_name,
        region=record.region,
        account_age_days=max((as_of - record.joined_on).days, 0),
        kyc_verified=record.kyc_verified,
        strikes=record.strikes,
        dispute_rate=record.dispute_rate,
        refund_rate=record.refund_rate,
        listing_volume=record.listing_volume,
        upheld_by_area=dict(sorted(upheld.items())),
        prior_violations=sorted(record.prior_violations, key=lambda v: v.date, reverse=True),
        verified_brands=record.verified_brands,
    )


def make_seller_history_tool(backend: SellerBackend) -> BaseTool:
    """The seller-history tool as a LangChain tool over `backend`."""

    def seller_history(seller_id: str, as_of: date) -> SellerHistory:
        return lookup_seller_history(backend, seller_id, as_of)

    return StructuredTool.from_function(
        seller_history,
        name="seller_history",
        description=(
            "Look up the seller's history: account age, region, identity verification, "
            "prior policy violations by area with dates and outcomes, strikes, dispute and "
            "refund rates, listing volume and brands they are verified to sell. Use it for "
            "every case; repeat offenders and new accounts change how much a signal weighs."
        ),
        args_schema=SellerHistoryInput,
    )
