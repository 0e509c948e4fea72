"""Fixtures for the store's tests: an empty database per test, on each engine the store
supports (`database_url`: a new SQLite file, or the session's PostgreSQL schema emptied
for the test and used as the app's runtime role), and an engine on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from auditgraph.store import make_engine


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or the session's PostgreSQL schema, emptied
    (the store's tests go through the app's own API only; see `fresh_postgres_url`)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url`, disposed after the test."""
    built = make_engine(database_url)
    yield built
    built.dispose()
