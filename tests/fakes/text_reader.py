"""The one fake OCR engine: a `TextReader` that fails, stalls or answers nonsense on demand.

Everything else in the suite reads images with the real engine (RapidOCR). This fake
stands in for an engine only where a failure must be made to happen: it runs `fail`
before each read (raise, wait, or fail once), then answers what `inner`, the real
engine, reads (or no text without one), or a malformed or wrongly typed answer.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any, Literal

from PIL import Image

from auditgraph.tools.image_text import TextLine, TextReader

__all__ = ["FakeTextReader"]


class FakeTextReader:
    """A `TextReader` whose reads fail as told; its name is its own, so nothing a real
    engine read is served in its place from the per-process cache."""

    def __init__(
        self,
        inner: TextReader | None = None,
        *,
        fail: Callable[[], None] | None = None,
        answer: Literal["real", "malformed", "wrong_type"] = "real",
    ) -> None:
        self.inner = inner
        self.fail = fail
        self.answer = answer
        self.name = f"fake-ocr/{uuid.uuid4().hex[:8]}"
        self.calls = 0
        self._lock = threading.Lock()

    def read(self, image: Image.Image) -> Any:
        """The lines in `image` as the real engine reads them, or the failure."""
        with self._lock:
            self.calls += 1
        if self.fail is not None:
            self.fail()
        lines: list[TextLine] = self.inner.read(image) if self.inner is not None else []
        if self.answer == "malformed":
            return [{"text": None, "confidence": 7.5}]  # as a broken client decodes it
        if self.answer == "wrong_type":
            return json.dumps([line.model_dump() for line in lines])  # JSON left unparsed
        return lines
