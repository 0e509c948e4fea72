"""The risk screen behind the tools' `RiskScorer` interface, loaded once per process.

Loading a saved screen costs a few seconds, so a screen is loaded on first use and kept
for the process, one per (folder, embedder name). A screen that cannot be loaded (no
folder, a file that does not match its manifest, another embedder) answers
`ScreenUnavailable` with the reason, each time it is asked, and is never kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from auditgraph.agents.screen.embedder import Embedder
from auditgraph.agents.screen.model import RiskScreen, ScreenError
from auditgraph.tools.risk_screen import (
    NEIGHBOUR_EXCERPT,
    TOP_AREAS,
    TOP_NEIGHBOURS,
    AreaProbability,
    RiskScreenEvidence,
    ScreenNeighbour,
    ScreenUnavailable,
)

__all__ = ["ScreenScorer", "clear_screen_cache", "load_screen"]

_LOADED: dict[tuple[Path, str], RiskScreen] = {}
_LOADING = threading.Lock()
REMEMBERED = 256
"""Answers kept per scorer, newest last: the planner and the tool read the same text."""


def load_screen(folder: Path, embedder: Embedder) -> RiskScreen:
    """The screen in `folder` for `embedder`, loaded once per process.

    Raises:
        ScreenError: the screen cannot be loaded; the message says why.
    """
    key = (folder.resolve(), embedder.name)
    with _LOADING:
        screen = _LOADED.get(key)
        if screen is None:
            screen = _LOADED[key] = RiskScreen.load(folder, embedder=embedder)
    return screen


def clear_screen_cache() -> None:
    """Forget every loaded screen (for tests that change a folder's files)."""
    with _LOADING:
        _LOADED.clear()


class ScreenScorer:
    """A `RiskScorer` over the saved screen in `folder`, loaded on first use."""

    def __init__(self, folder: Path, embedder: Embedder) -> None:
        self.folder = folder
        self.embedder = embedder
        self._scoring = threading.Lock()
        """One text at a time: the embedding engine is not known to be thread-safe."""
        self._answers: OrderedDict[str, RiskScreenEvidence] = OrderedDict()

    def assess(self, text: str) -> RiskScreenEvidence:
        """Score `text`; `ScreenUnavailable` when the screen cannot be loaded.

        The same text scored again (the planner, then the tool) is answered from memory.
        """
        try:
            screen = load_screen(self.folder, self.embedder)
        except ScreenError as exc:
            raise ScreenUnavailable(f"risk screen unavailable: {exc}") from None
        with self._scoring:
            known = self._answers.get(text)
            if known is not None and known.sha256 == screen.digest:
                self._answers.move_to_end(text)
                return known
            answer = self._answer(screen, text)
            self._answers[text] = answer
            if len(self._answers) > REMEMBERED:
                self._answers.popitem(last=False)
        return answer

    @staticmethod
    def _answer(screen: RiskScreen, text: str) -> RiskScreenEvidence:
        score = screen.score(text, neighbours=TOP_NEIGHBOURS)
        metadata = screen.metadata
        return RiskScreenEvidence(
            version=screen.version,
            sha256=screen.digest,
            violation=_unit(score.violation),
            areas=[AreaProbability(area=a, probability=_unit(p)) for a, p in score.top(TOP_AREAS)],  # type: ignore[arg-type]
            neighbours=[
                ScreenNeighbour(
                    id=n.id, label=n.label, similarity=n.similarity, text=n.text[:NEIGHBOUR_EXCERPT]
                )
                for n in score.neighbours
            ],
            approve_below=_threshold(metadata.get("approve_below")),
            decide_at=_threshold(metadata.get("decide_at")),
        )


def _unit(value: float) -> float:
    # Float rounding can put a probability a hair outside [0, 1].
    return min(1.0, max(0.0, float(value)))


def _threshold(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
