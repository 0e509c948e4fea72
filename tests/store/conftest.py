"""Fixtures for the store's tests: an engine on one new database per test, on each engine
the store supports (`database_url`: a SQLite file, and a private PostgreSQL schema used as
the app's runtime role)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from auditgraph.store import make_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url`, disposed after the test."""
    built = make_engine(database_url)
    yield built
    built.dispose()
