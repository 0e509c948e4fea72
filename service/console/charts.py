"""What the dashboard draws, computed on the server: bar charts as geometry the template
writes out as SVG (no script, no inline style: the page's CSP forbids both), and figures
put in words (rates, durations, costs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

__all__ = ["Bar", "BarChart", "bar_chart", "duration", "money", "percent", "runs_link"]

_ROW = 26
"""Height of one bar's row, in the chart's units."""
_LABEL = 190
"""Width kept for the labels left of the bars."""
_BARS = 300
"""Width of the longest bar."""
_WIDTH = _LABEL + _BARS + 110
_LABEL_CHARS = 26
"""Longest label drawn whole; a longer one is cut, with its whole text as the bar's tooltip."""


@dataclass(frozen=True)
class Bar:
    """One bar: where it is drawn, what it says, and the runs behind it."""

    label: str
    value: float
    text: str
    href: str
    y: int
    width: float

    @property
    def short_label(self) -> str:
        """The label as drawn: cut to fit left of the bars."""
        return self.label if len(self.label) <= _LABEL_CHARS else self.label[: _LABEL_CHARS - 1] + "…"

    @property
    def text_y(self) -> int:
        """The baseline of the bar's texts."""
        return self.y + _ROW // 2 + 5

    @property
    def value_x(self) -> float:
        """Where the value is written, just past the bar's end."""
        return _LABEL + self.width + 6


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart: its title, bars, and size."""

    title: str
    bars: list[Bar]
    width: int = _WIDTH
    label_width: int = _LABEL

    @property
    def height(self) -> int:
        """The chart's height (one row per bar)."""
        return max(1, len(self.bars)) * _ROW


def bar_chart(
    title: str, items: Sequence[tuple[str, float, str, str]], *, scale: float | None = None
) -> BarChart:
    """A chart of `items`, each (label, value, text written by the bar, link to its runs),
    bars scaled so that `scale` (default: the largest value) is the longest."""
    top = scale if scale is not None else max((v for _, v, _, _ in items), default=0.0)
    bars = [
        Bar(label, value, text, href, y=i * _ROW, width=round(_BARS * value / top, 1) if top > 0 else 0.0)
        for i, (label, value, text, href) in enumerate(items)
    ]
    return BarChart(title, bars)


def runs_link(since: datetime | None, until: datetime | None, area: str | None, **filters: object) -> str:
    """The console's runs page listing the runs a figure counts."""
    query: dict[str, str] = {}
    if since is not None:
        query["since"] = since.isoformat()
    if until is not None:
        query["until"] = until.isoformat()
    if area:
        query["area"] = area
    for name, value in filters.items():
        if value is not None:
            query[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return "/runs?" + urlencode(query)


def percent(rate: float | None) -> str:
    """A rate as a percentage ("—" when there is nothing to divide by)."""
    return "—" if rate is None else f"{rate * 100:.1f}%".replace(".0%", "%")


def duration(seconds: float | None) -> str:
    """Seconds in the largest unit that keeps them readable ("—" for none)."""
    if seconds is None:
        return "—"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"


def money(usd: float | None) -> str:
    """A cost in US dollars, to a hundredth of a cent ("—" for none)."""
    return "—" if usd is None else f"${usd:.4f}"
