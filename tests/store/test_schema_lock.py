"""The set-up lock on PostgreSQL never deadlocks with the checkpointer's set-up.

A process waiting for the lock must not hold a transaction open while it waits: the
holder's `CREATE INDEX CONCURRENTLY` waits for every open transaction to end, so a waiter
inside `pg_advisory_lock` and the holder would wait for each other forever (seen when
several processes first start on one database).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from auditgraph.store import make_engine
from auditgraph.store.schema import schema_lock


def test_a_waiter_does_not_block_create_index_concurrently(postgres_url: str) -> None:
    holder = make_engine(postgres_url)
    waiter = make_engine(postgres_url)
    waited: list[float] = []
    with holder.connect() as conn:
        conn.execute(text("CREATE TABLE lock_probe (x int)"))
        conn.commit()
    try:
        with schema_lock(holder):

            def wait_for_lock() -> None:
                began = time.monotonic()
                with schema_lock(waiter):
                    waited.append(time.monotonic() - began)

            thread = threading.Thread(target=wait_for_lock)
            thread.start()
            time.sleep(0.5)  # the waiter is waiting now
            with holder.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SET statement_timeout = '15s'"))
                conn.execute(text("CREATE INDEX CONCURRENTLY lock_probe_x ON lock_probe (x)"))
            assert not waited, "the waiter got the lock while it was held"
        thread.join(timeout=30)
        assert len(waited) == 1, "the waiter never got the lock once it was freed"
    finally:
        holder.dispose()
        waiter.dispose()
