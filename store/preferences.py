"""Console users' preferences: how listing images are shown to each reviewer.

Reviewers look at prohibited goods all day; images start blurred and each reviewer
chooses whether they clear on hover or always, and whether they are grayscale (a
wellness control). One row per holder name, upserted in one statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from auditgraph.store.records import utcnow
from auditgraph.store.tables import PreferenceRow

__all__ = ["DEFAULT_PREFERENCES", "ImageView", "PreferenceStore", "Preferences"]

ImageView = Literal["blurred", "hover", "clear"]
IMAGE_VIEWS: tuple[str, ...] = get_args(ImageView)
_TABLE = PreferenceRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Preferences:
    """How one user sees listing images."""

    images: ImageView = "blurred"
    grayscale: bool = False


DEFAULT_PREFERENCES = Preferences()
"""What a user who never chose sees: blurred, in colour."""


class PreferenceStore:
    """Preferences in the audit database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def of(self, holder: str) -> Preferences:
        """`holder`'s preferences, or the defaults."""
        query = select(_TABLE.c.images, _TABLE.c.grayscale).where(_TABLE.c.holder == holder)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.images not in IMAGE_VIEWS:
            return DEFAULT_PREFERENCES
        return Preferences(images=row.images, grayscale=bool(row.grayscale))

    def save(self, holder: str, preferences: Preferences) -> None:
        """Keep `preferences` for `holder`.

        Raises:
            ValueError: an image view that is not blurred, hover or clear.
        """
        if preferences.images not in IMAGE_VIEWS:
            raise ValueError(f"images must be one of {', '.join(IMAGE_VIEWS)}, not {preferences.images!r}")
        values = {
            "holder": holder,
            "images": preferences.images,
            "grayscale": preferences.grayscale,
            "updated_at": utcnow(),
        }
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(_TABLE).values(**values)
        statement = insert.on_conflict_do_update(
            index_elements=["holder"], set_={k: insert.excluded[k] for k in values if k != "holder"}
        )
        with self.engine.begin() as conn:
            conn.execute(statement)
