"""The work queue of runs in the database: which runs wait for a worker, which worker holds
which run until when, how often each was tried, and which gave up.

The database is the source of truth and a message broker only rings the doorbell. A
door that hands a run to the workers writes its `run_dispatch` row (state `queued`) in the
same transaction as the run itself (`SqlAuditStore.start_run(..., queued=True)`), or
queues an existing run (`DispatchStore.enqueue`, e.g. after a review), and then publishes
the run id. A worker that receives the id claims the row in one statement:

    UPDATE run_dispatch SET state='leased', owner=:me, attempts=attempts+1, lease_expires=...
    WHERE run_id=:id AND (state='queued' OR (state='leased' AND lease_expires < :now))
    RETURNING attempts

On PostgreSQL the row is picked with `FOR UPDATE SKIP LOCKED`, so a claim never waits on
another; on SQLite writes are serialised. Either way one claimant wins; a duplicate or
late doorbell finds nothing to claim and is dropped. The holder renews its lease while it
works (`heartbeat`); a worker that dies stops renewing, its lease expires, and the next
claim (from a doorbell the sweep rings again, `stale`) takes the run over with the
attempt count raised. `attempts` is capped by the caller: a run claimed past its cap is
closed as failed with its last error instead of being run again.

Every write a worker makes for a run is fenced: while `fenced(...)` is active, the audit
store (and the checkpointer) checks, inside the write's own transaction, that this worker
still holds the run under the same attempt (`check_fence`), and refuses the write with
`LeaseLost` otherwise. A worker paused past its lease (a stop signal, a long GC, a network
partition) therefore cannot write anything once another worker has taken the run over.

Dispatch rows are operational data, apart from the signed audit record: a heartbeat every
few seconds must not touch the sealed run row. The runtime role may update them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update

from auditgraph.store.base import StoreError
from auditgraph.store.locks import try_hold_for_transaction
from auditgraph.store.records import as_utc, utcnow
from auditgraph.store.schema import upgrade
from auditgraph.store.tables import DispatchRow

__all__ = [
    "Claim",
    "DispatchState",
    "DispatchStats",
    "DispatchStore",
    "Fence",
    "LeaseLost",
    "active_fence",
    "check_fence",
    "enqueue_in",
    "fenced",
    "queue_row",
]

DispatchState = Literal["queued", "leased", "done", "failed"]
"""queued: waits for a worker; leased: a worker holds it until `lease_expires`; done: the
run paused for review or ended; failed: given up after its capped attempts."""

_TABLE = DispatchRow.__table__  # type: ignore[attr-defined]
_FENCE: ContextVar[Fence | None] = ContextVar("auditgraph_dispatch_fence", default=None)


class LeaseLost(StoreError):
    """This worker no longer holds the run it is writing for: another worker took it over
    after the lease expired. Nothing was written; the worker must stop working on it."""


@dataclass(frozen=True)
class Fence:
    """The lease a worker's writes for one run must still hold."""

    run_id: str
    owner: str
    attempt: int


@dataclass(frozen=True)
class Claim:
    """A run a worker has claimed: its lease, and how many times it has now been tried."""

    run_id: str
    owner: str
    attempt: int
    """1 for the first claim; more when an earlier holder died or gave the run back."""
    lease_expires: datetime
    last_error: str | None

    @property
    def fence(self) -> Fence:
        """The fence this claim's writes go under."""
        return Fence(self.run_id, self.owner, self.attempt)


@dataclass(frozen=True)
class DispatchStats:
    """The work queue at one moment, for metrics and `auditgraph worker status`."""

    queued: int
    leased: int
    expired: int
    """Leased runs whose lease has passed: their worker died or stalled."""
    failed: int
    done: int
    oldest_queued_seconds: float | None
    """How long the oldest queued run has waited; None when none waits."""


def active_fence() -> Fence | None:
    """The fence of the run this thread (or context) is working on, if any."""
    return _FENCE.get()


@contextlib.contextmanager
def fenced(fence: Fence) -> Iterator[None]:
    """Check every write for `fence.run_id` made in this context against the lease."""
    token = _FENCE.set(fence)
    try:
        yield
    finally:
        _FENCE.reset(token)


def check_fence(conn: Connection, run_id: str) -> None:
    """Refuse, inside the caller's write transaction, a write for `run_id` by a worker that
    no longer holds it (`LeaseLost`); a no-op outside `fenced` or for another run.

    On PostgreSQL the row is locked FOR SHARE until the transaction ends, so a takeover
    (an UPDATE of the row) waits for the write to commit and the next write then fails.
    On SQLite the caller's transaction serialises with every other writer.
    """
    fence = _FENCE.get()
    if fence is None or fence.run_id != run_id:
        return
    query = select(_TABLE.c.run_id).where(
        _TABLE.c.run_id == fence.run_id,
        _TABLE.c.owner == fence.owner,
        _TABLE.c.attempts == fence.attempt,
        _TABLE.c.state == "leased",
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    if conn.execute(query).first() is None:
        raise LeaseLost(
            f"run {run_id!r} is no longer held by {fence.owner} (attempt {fence.attempt}): "
            "another worker took it over; nothing was written"
        )


def queue_row(run_id: str, now: datetime) -> dict[str, Any]:
    """The values of a new `queued` dispatch row."""
    return {
        "run_id": run_id,
        "state": "queued",
        "attempts": 0,
        "owner": None,
        "lease_expires": None,
        "queued_at": now,
        "updated_at": now,
        "last_error": None,
    }


def enqueue_in(conn: Connection, run_id: str, now: datetime) -> bool:
    """`DispatchStore.enqueue` inside the caller's transaction (e.g. with the review it applies)."""
    again = conn.execute(
        update(_TABLE)
        .where(_TABLE.c.run_id == run_id, _TABLE.c.state.in_(("done", "failed")))
        .values(state="queued", attempts=0, owner=None, lease_expires=None, queued_at=now, updated_at=now)
    )
    if again.rowcount:
        return True
    if conn.execute(select(_TABLE.c.state).where(_TABLE.c.run_id == run_id)).first() is not None:
        return False
    conn.execute(insert(_TABLE), queue_row(run_id, now))
    return True


class DispatchStore:
    """The dispatch rows in the audit database (SQLite or PostgreSQL); brings the schema to
    the newest revision on start. `clock` gives the time leases are judged by (every
    machine's clock must be kept by NTP: a lease is tens of seconds, skew is milliseconds)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise StoreError(f"workers need SQLite or PostgreSQL, not {engine.dialect.name!r}")
        self.engine = engine
        self._clock = clock
        upgrade(engine)

    def enqueue(self, run_id: str) -> bool:
        """Queue an existing run (e.g. a recorded review to apply); True if it was queued now.

        A run already queued or leased is left as it is (its worker applies what is
        recorded); one done or failed is queued again with its attempts reset.
        """
        with self.engine.begin() as conn:
            return enqueue_in(conn, run_id, self._clock())

    def claim(self, run_id: str, owner: str, *, lease: timedelta) -> Claim | None:
        """Lease `run_id` to `owner` if it is queued or its lease has expired; None when
        another worker holds it, it is finished, or it is unknown."""
        if lease <= timedelta(0):
            raise ValueError(f"a lease must be positive, not {lease}")
        now = self._clock()
        claimable = and_(
            _TABLE.c.run_id == run_id,
            or_(_TABLE.c.state == "queued", and_(_TABLE.c.state == "leased", _TABLE.c.lease_expires < now)),
        )
        if self.engine.dialect.name == "postgresql":
            picked = (
                select(_TABLE.c.run_id).where(claimable).with_for_update(skip_locked=True).scalar_subquery()
            )
            where: Any = _TABLE.c.run_id == picked
        else:
            where = claimable
        statement = (
            update(_TABLE)
            .where(where)
            .values(
                state="leased",
                owner=owner,
                attempts=_TABLE.c.attempts + 1,
                lease_expires=now + lease,
                updated_at=now,
            )
            .returning(_TABLE.c.attempts, _TABLE.c.lease_expires, _TABLE.c.last_error)
        )
        with self.engine.begin() as conn:
            row = conn.execute(statement).first()
        if row is None:
            return None
        return Claim(run_id, owner, int(row.attempts), as_utc(row.lease_expires), row.last_error)  # type: ignore[arg-type]

    def heartbeat(self, fence: Fence, *, lease: timedelta) -> bool:
        """Extend the lease; False when the worker no longer holds the run (stop working)."""
        now = self._clock()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(_TABLE).where(*self._held(fence)).values(lease_expires=now + lease, updated_at=now)
            )
        return result.rowcount == 1

    def finish(self, fence: Fence, state: Literal["done", "failed"], *, error: str | None = None) -> bool:
        """Mark the held run done (paused or ended) or failed; False when no longer held."""
        now = self._clock()
        values: dict[str, Any] = {"state": state, "owner": None, "lease_expires": None, "updated_at": now}
        if error is not None:
            values["last_error"] = error[:2000]
        with self.engine.begin() as conn:
            result = conn.execute(update(_TABLE).where(*self._held(fence)).values(**values))
        return result.rowcount == 1

    def release(self, fence: Fence, *, error: str) -> bool:
        """Give the held run back to the queue after a failure worth another attempt."""
        now = self._clock()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(_TABLE)
                .where(*self._held(fence))
                .values(
                    state="queued",
                    owner=None,
                    lease_expires=None,
                    queued_at=now,
                    updated_at=now,
                    last_error=error[:2000],
                )
            )
        return result.rowcount == 1

    def stale(self, *, queued_for: timedelta, limit: int = 1000) -> list[str]:
        """Runs whose doorbell was lost: queued for longer than `queued_for`, or leased with
        the lease expired (their worker died). Oldest first; ring for each again."""
        now = self._clock()
        query = (
            select(_TABLE.c.run_id)
            .where(
                or_(
                    and_(_TABLE.c.state == "queued", _TABLE.c.queued_at < now - queued_for),
                    and_(_TABLE.c.state == "leased", _TABLE.c.lease_expires < now),
                )
            )
            .order_by(_TABLE.c.queued_at)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query)]

    def get(self, run_id: str) -> dict[str, Any] | None:
        """The run's dispatch row (times timezone-aware), or None for a run never queued."""
        with self.engine.connect() as conn:
            row = conn.execute(select(_TABLE).where(_TABLE.c.run_id == run_id)).mappings().first()
        if row is None:
            return None
        return {k: as_utc(v) for k, v in row.items()}

    def stats(self) -> DispatchStats:
        """Counts by state, expired leases, and the age of the oldest queued run."""
        now = self._clock()
        with self.engine.connect() as conn:
            counts = dict(
                conn.execute(select(_TABLE.c.state, func.count()).group_by(_TABLE.c.state)).all()  # type: ignore[arg-type]
            )
            expired = conn.execute(
                select(func.count()).where(_TABLE.c.state == "leased", _TABLE.c.lease_expires < now)
            ).scalar_one()
            oldest = conn.execute(
                select(func.min(_TABLE.c.queued_at)).where(_TABLE.c.state == "queued")
            ).scalar()
        oldest = as_utc(oldest)
        return DispatchStats(
            queued=int(counts.get("queued", 0)),
            leased=int(counts.get("leased", 0)),
            expired=int(expired),
            failed=int(counts.get("failed", 0)),
            done=int(counts.get("done", 0)),
            oldest_queued_seconds=None if oldest is None else max(0.0, (now - oldest).total_seconds()),
        )

    def try_sweep_lock(self, conn: Connection) -> bool:
        """Take the sweep's lock for `conn`'s transaction, or False when another process
        sweeps now (PostgreSQL; always True on SQLite)."""
        return try_hold_for_transaction(conn, "auditgraph.sweep")

    @staticmethod
    def _held(fence: Fence) -> tuple[Any, ...]:
        return (
            _TABLE.c.run_id == fence.run_id,
            _TABLE.c.owner == fence.owner,
            _TABLE.c.attempts == fence.attempt,
            _TABLE.c.state == "leased",
        )
