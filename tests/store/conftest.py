"""Fixtures for the store's tests: one new database per test, on each engine the store
supports (a SQLite file, and a private PostgreSQL schema used as the app's runtime role)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from auditgraph.store import make_engine


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database: a SQLite file, or a private PostgreSQL schema the app uses as
    its runtime role (the schema migrated by its owner)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url`, disposed after the test."""
    built = make_engine(database_url)
    yield built
    built.dispose()
