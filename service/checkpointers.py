"""LangGraph's savers, fenced: a worker that lost its run's lease cannot write a checkpoint.

The audit store checks a worker's lease inside each write's transaction
(`store.dispatch.check_fence`). A checkpoint is written on another connection, so the same
check runs there, in the checkpoint write's own transaction: on PostgreSQL the dispatch
row is locked FOR SHARE until the write commits (a takeover waits for it, and the stale
worker's next write fails); on SQLite the write transaction is begun IMMEDIATE, holding
the database's write lock from the check to the commit. Outside a worker (no active
fence) the savers behave exactly as LangGraph's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from sqlite3 import Cursor as SqliteCursor
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from auditgraph.store.dispatch import LeaseLost, active_fence

__all__ = ["FencedSqliteSaver", "fenced_postgres_saver"]

_FENCE_SQL = (
    "SELECT 1 FROM run_dispatch WHERE run_id = {p} AND owner = {p} AND attempts = {p} AND state = 'leased'"
)


def _lost(run_id: str, owner: str, attempt: int) -> LeaseLost:
    return LeaseLost(
        f"run {run_id!r} is no longer held by {owner} (attempt {attempt}): "
        "another worker took it over; its checkpoint was not written"
    )


class FencedSqliteSaver(SqliteSaver):
    """`SqliteSaver` whose writes, inside a worker, first check the worker's lease."""

    @contextmanager
    def cursor(self, transaction: bool = True) -> Iterator[SqliteCursor]:
        """A cursor as `SqliteSaver.cursor` gives; a writing one checks the fence first."""
        fence = active_fence()
        if fence is None or not transaction:
            with super().cursor(transaction) as cur:
                yield cur
            return
        with self.lock:
            self.setup()
            cur = self.conn.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
                held = cur.execute(
                    _FENCE_SQL.format(p="?"), (fence.run_id, fence.owner, fence.attempt)
                ).fetchone()
                if held is None:
                    raise _lost(fence.run_id, fence.owner, fence.attempt)
                yield cur
                self.conn.commit()
            except BaseException:
                self.conn.rollback()
                raise
            finally:
                cur.close()


def fenced_postgres_saver(pool: Any, serde: Any) -> Any:
    """A `PostgresSaver` on `pool` whose writes, inside a worker, check the worker's lease
    in the same transaction (the postgres extra must be installed)."""
    from langgraph.checkpoint.postgres import PostgresSaver
    from langgraph.checkpoint.postgres import _internal as postgres_internal
    from psycopg.rows import dict_row

    class FencedPostgresSaver(PostgresSaver):
        """`PostgresSaver` whose writes, inside a worker, check the worker's lease first."""

        @contextmanager
        def _cursor(self, *, pipeline: bool = False) -> Iterator[Any]:
            # `put`, `put_writes` and `delete_thread` ask for a pipeline: they write.
            fence = active_fence()
            if fence is None or not pipeline or self.pipe is not None:
                with super()._cursor(pipeline=pipeline) as cur:
                    yield cur
                return
            with (
                self.lock,
                postgres_internal.get_connection(self.conn) as conn,
                conn.transaction(),
                conn.cursor(binary=True, row_factory=dict_row) as cur,
            ):
                cur.execute(
                    _FENCE_SQL.format(p="%s") + " FOR SHARE", (fence.run_id, fence.owner, fence.attempt)
                )
                if cur.fetchone() is None:
                    raise _lost(fence.run_id, fence.owner, fence.attempt)
                yield cur

    return FencedPostgresSaver(pool, serde=serde)
