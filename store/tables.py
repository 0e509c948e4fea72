"""SQL tables (sqlmodel): one row type per audit record type, and the seller records the
seller-history tool reads. The migrations (store/migrations) create and change them all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

__all__ = [
    "ALL",
    "ApiTokenRow",
    "DecisionRow",
    "DispatchRow",
    "EscalationRow",
    "HoldRow",
    "LeaseRow",
    "LogRow",
    "PreferenceRow",
    "ReviewRow",
    "RunRow",
    "SellerRow",
    "StepRow",
    "SubmissionRow",
]

_Json = JSON().with_variant(JSONB(), "postgresql")


def _json(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(_Json, nullable=nullable))


def _time(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index))


class RunRow(SQLModel, table=True):
    """A run and the case it audited."""

    __tablename__ = "run"

    run_id: str = Field(primary_key=True)
    case_id: str = Field(index=True)
    case_kind: str
    status: str = Field(index=True)
    agent: str
    agent_version: str
    policy_version: str
    started: datetime = _time(index=True)
    ended: datetime | None = _time(nullable=True)
    decision: str | None = None
    error: str | None = None
    head_hash: str | None = None
    case_json: dict | None = _json()


class StepRow(SQLModel, table=True):
    """One trace step."""

    __tablename__ = "trace_step"
    __table_args__ = (UniqueConstraint("run_id", "seq"),)

    id: str = Field(primary_key=True)
    run_id: str = Field(index=True)
    case_id: str
    seq: int
    parent_id: str | None = None
    node: str
    kind: str
    started: datetime = _time()
    ended: datetime = _time()
    attempt: int
    input: dict | None = _json()
    output: dict | None = _json()
    error: str | None = None
    agent: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    policy_version: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    prev_hash: str = ""
    hash: str = Field(default="", index=True)


class EscalationRow(SQLModel, table=True):
    """An escalation; one per run at most."""

    __tablename__ = "escalation"
    __table_args__ = (Index("ix_escalation_open", "status", "priority", "opened_at"),)

    escalation_id: str = Field(primary_key=True)
    run_id: str = Field(unique=True)
    case_id: str
    queue: str = Field(index=True)
    priority: int
    reasons: list = _json(nullable=False)
    areas: list = _json(nullable=False)
    agent_decision: str
    risk: float | None = None
    status: str
    opened_at: datetime = _time()


class ReviewRow(SQLModel, table=True):
    """A reviewer's decision."""

    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("escalation_id", name="uq_review_escalation"),)

    review_id: str = Field(primary_key=True)
    run_id: str = Field(index=True)
    escalation_id: str
    reviewer: str
    decision: str
    reason: str
    clause_ids: list = _json(nullable=False)
    agent_decision: str
    overrode_agent: bool
    created_at: datetime = _time()
    reviewer_role: str | None = None
    review_digest: str | None = None


class DecisionRow(SQLModel, table=True):
    """A decision record; an override appends a second one."""

    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True)
    case_id: str
    decision: str
    decided_by: str
    clause_ids: list = _json(nullable=False)
    confidence: float | None = None
    rationale: str
    statement_of_reasons: str | None = None
    created_at: datetime = _time()


class SellerRow(SQLModel, table=True):
    """A seller record for the seller-history tool's SQL backend: an indexed id and the
    record as JSON (its shape is the tool's `SellerRecord`)."""

    __tablename__ = "seller"

    seller_id: str = Field(primary_key=True)
    record: dict = Field(sa_column=Column(JSON, nullable=False))


class LogRow(SQLModel, table=True):
    """One entry of the signed, append-only log of run heads (see `store.headlog`)."""

    __tablename__ = "run_log"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    run_id: str = Field(index=True)
    status: str
    steps: int
    head_hash: str
    seal: str
    prev_entry_hash: str
    entry_hash: str = Field(unique=True)
    signature: str | None = None
    key_id: str | None = None
    created_at: datetime = _time()


class ApiTokenRow(SQLModel, table=True):
    """An API token: its SHA-256 digest (never the token), name and role (see `store.tokens`)."""

    __tablename__ = "api_token"
    __table_args__ = (
        # One active token per name; a revoked token keeps its name, and the name is free again.
        Index(
            "uq_api_token_active_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    token_id: str = Field(primary_key=True)
    token_digest: str = Field(unique=True)
    hint: str
    name: str
    role: str
    created_at: datetime = _time()
    last_used_at: datetime | None = _time(nullable=True)
    revoked_at: datetime | None = _time(nullable=True)


class SubmissionRow(SQLModel, table=True):
    """An idempotency key, the digest of the body first submitted under it, and the run
    that submission started (see `store.submissions`)."""

    __tablename__ = "submission"

    key: str = Field(primary_key=True, max_length=200)
    body_digest: str
    run_id: str
    created_at: datetime = _time()


class LeaseRow(SQLModel, table=True):
    """A reviewer's lease on an open escalation (see `store.leases`): operational data,
    not part of the signed audit record."""

    __tablename__ = "escalation_lease"
    __table_args__ = (CheckConstraint("state IN ('leased', 'held')", name="ck_escalation_lease_state"),)

    escalation_id: str = Field(primary_key=True)
    run_id: str
    holder: str = Field(index=True)
    holder_token_id: str
    state: str
    leased_until: datetime = _time()
    note: str | None = None
    updated_at: datetime = _time()


class PreferenceRow(SQLModel, table=True):
    """How a console user wants listing images shown (see `store.preferences`)."""

    __tablename__ = "console_preference"
    __table_args__ = (
        CheckConstraint("images IN ('blurred', 'hover', 'clear')", name="ck_console_preference_images"),
    )

    holder: str = Field(primary_key=True)
    images: str
    grayscale: bool
    updated_at: datetime = _time()


class DispatchRow(SQLModel, table=True):
    """A run handed to the workers (see `store.dispatch`): operational data, not part of the
    signed audit record."""

    __tablename__ = "run_dispatch"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'leased', 'done', 'failed')", name="ck_run_dispatch_state"),
        Index("ix_run_dispatch_state_queued_at", "state", "queued_at"),
    )

    run_id: str = Field(primary_key=True)
    state: str
    attempts: int = 0
    owner: str | None = None
    lease_expires: datetime | None = _time(nullable=True)
    queued_at: datetime = _time()
    updated_at: datetime = _time()
    last_error: str | None = None


class HoldRow(SQLModel, table=True):
    """A legal hold on a case (see `store.holds`): current while `released_at` is NULL."""

    __tablename__ = "legal_hold"

    case_id: str = Field(primary_key=True)
    held_by: str
    reason: str
    held_at: datetime = _time()
    released_by: str | None = None
    release_reason: str | None = None
    released_at: datetime | None = _time(nullable=True)


ALL: tuple[type[SQLModel], ...] = (
    RunRow,
    StepRow,
    EscalationRow,
    ReviewRow,
    DecisionRow,
    SellerRow,
    LogRow,
    ApiTokenRow,
    SubmissionRow,
    LeaseRow,
    PreferenceRow,
    DispatchRow,
    HoldRow,
)
"""Every table the migrations own."""
