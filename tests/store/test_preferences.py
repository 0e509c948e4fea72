"""Console preferences: defaults, a saved choice, a change of mind, and bad values."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from auditgraph.store.preferences import DEFAULT_PREFERENCES, Preferences, PreferenceStore
from auditgraph.store.sql import SqlAuditStore


@pytest.fixture(autouse=True)
def migrated(engine: Engine) -> None:
    """The audit schema, which holds the preference table."""
    SqlAuditStore(engine)


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
