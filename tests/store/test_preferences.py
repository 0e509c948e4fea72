"""Console preferences: defaults, a saved choice, a change of mind, and bad values."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from auditgraph.store import make_engine
from auditgraph.store.preferences import DEFAULT_PREFERENCES, Preferences, PreferenceStore
from auditgraph.store.sql import SqlAuditStore


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database: a SQLite file, or a private PostgreSQL schema as the runtime role."""
    url = (
        f"sqlite:///{tmp_path / 'audit.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    built = make_engine(url)
    SqlAuditStore(built)
    yield built
    built.dispose()


def test_a_user_who_never_chose_sees_blurred_colour_images(engine: Engine) -> None:
    assert PreferenceStore(engine).of("ann") == DEFAULT_PREFERENCES == Preferences("blurred", False)


def test_a_choice_is_kept_per_user_and_can_change(engine: Engine) -> None:
    store = PreferenceStore(engine)
    store.save("ann", Preferences("hover", True))
    assert store.of("ann") == Preferences("hover", True)
    assert store.of("bob") == DEFAULT_PREFERENCES
    store.save("ann", Preferences("clear", False))
    assert store.of("ann") == Preferences("clear", False)


def test_an_unknown_image_view_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="blurred, hover, clear"):
        PreferenceStore(engine).save("ann", Preferences("unblurred", False))  # type: ignore[arg-type]
    assert PreferenceStore(engine).of("ann") == DEFAULT_PREFERENCES
