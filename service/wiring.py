"""Build the auditor and its collaborators from `Settings`: the one place they are wired."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Checkpointer
from sqlalchemy import Engine

from auditgraph.agents import Agent, llm_agent, rules_agent
from auditgraph.service.settings import Settings
from auditgraph.store import SqlAuditStore, make_engine, sqlite_path
from auditgraph.tools import Toolset, load_bundled_toolset
from auditgraph.workflows import Auditor, GuardPolicy
from auditgraph.workflows.checkpoint import checkpoint_serde

__all__ = ["open_auditor", "open_store"]


def open_store(settings: Settings) -> SqlAuditStore:
    """The audit store for `settings.database_url` (tables are created if missing)."""
    return SqlAuditStore(make_engine(settings.database_url))


@contextmanager
def _checkpointer(settings: Settings, engine: Engine) -> Iterator[Checkpointer]:
    url = settings.database_url
    path = sqlite_path(url)
    if path is not None:
        connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        try:
            yield SqliteSaver(connection, serde=checkpoint_serde())
        finally:
            connection.close()
    elif engine.dialect.name == "sqlite":
        yield InMemorySaver(serde=checkpoint_serde())
    else:
        yield from _postgres_checkpointer(url)


def _postgres_checkpointer(url: str) -> Iterator[Checkpointer]:
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
    except ImportError as exc:
        raise RuntimeError(
            "a PostgreSQL database_url needs the postgres extra: pip install -e '.[postgres]'"
        ) from exc
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with PostgresSaver.from_conn_string(conninfo) as saver:
        saver.serde = checkpoint_serde()
        saver.setup()
        yield saver


def _agent(settings: Settings, toolset: Toolset) -> Agent:
    spec = settings.model_spec()
    if spec is None:
        return rules_agent()
    return llm_agent(spec, toolset.evidence_tools(), fallback_confidence=settings.fallback_confidence)


@contextmanager
def open_auditor(settings: Settings) -> Iterator[Auditor]:
    """An `Auditor` wired from `settings`; closes its connections on exit."""
    store = open_store(settings)
    toolset = load_bundled_toolset(
        settings.data_dir,
        engine=store.engine,
        escalations=store,
        extra_image_roots=tuple(settings.image_roots),
    )
    with ExitStack() as stack:
        checkpointer = stack.enter_context(_checkpointer(settings, store.engine))
        yield Auditor(
            store=store,
            toolset=toolset,
            agent=_agent(settings, toolset),
            checkpointer=checkpointer,
            guard=GuardPolicy(confidence_bar=settings.confidence_bar),
            include_sensitive=settings.include_sensitive,
            mask_personal_data=settings.mask_personal_data,
            durability=settings.durability,
            max_concurrency=settings.tool_concurrency,
        )
        store.engine.dispose()
