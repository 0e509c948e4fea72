"""A clock a test moves by hand, for stores that take a `clock` (leases, tokens, dispatch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
"""Where a `ManualClock()` starts."""


@dataclass
class ManualClock:
    """Gives `now` until the test moves it with `advance`."""

    now: datetime = field(default_factory=lambda: START)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by
