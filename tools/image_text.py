"""Text in listing images: read by an OCR engine, screened like the listing's own words.

Sellers put WhatsApp numbers, e-mail addresses, "DM me" handles, prices and prohibited
words inside their photos, where the text screen never looks. The image check reads the
text of each photo it could decode through a `TextReader` (an interface, so a deployment
can plug another engine; `RapidOcrReader`, PP-OCR's ONNX models shipped inside the
`rapidocr-onnxruntime` wheel, is the default) and screens it with the same
`TextScreener` as the listing's title and description, under the field
`image:<reference>`. A seller's photo is the seller speaking.

Reading costs far more than hashing (about 0.2 s an image on one core), so an image is
fitted into `max_pixels` before it is read (a larger photo is scaled down; a small one
is scaled up to `READ_LONG_SIDE`, which lets the recogniser see the gaps between words),
and what an engine read is kept per process by the image's content, so the same photo
in many cases is read once.

A failure to read is evidence, never an approval: the image's text is `unavailable`
with the reason, and the deciders and the guard treat it like an image that could not
be checked.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal, Protocol

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditgraph.tools.retry import BackendUnavailable, call_with_retry, first_line
from auditgraph.tools.text_screen import TextFinding, TextScreener

__all__ = [
    "IMAGE_FIELD_PREFIX",
    "READ_LONG_SIDE",
    "READ_MAX_PIXELS",
    "ImageText",
    "ImageTextScreener",
    "RapidOcrReader",
    "TextLine",
    "TextReadFailed",
    "TextReader",
    "fit_for_reading",
    "image_field",
]

IMAGE_FIELD_PREFIX = "image:"
"""Findings in an image's text name their field `image:<reference>`."""
READ_MAX_PIXELS = 1_000_000
"""Images with more pixels are scaled down to this many before they are read."""
READ_LONG_SIDE = 768
"""Smaller images are scaled up until their longer side is this long (at most 3x): the
recogniser then sees the gaps between words in small print, and the detector scales
anything shorter up to about this size anyway."""
_MAX_UPSCALE = 3.0
_CACHE_SIZE = 4096


def image_field(ref: str) -> str:
    """The field name of the text read from image `ref`, as the findings carry it."""
    return f"{IMAGE_FIELD_PREFIX}{ref}"


class TextLine(BaseModel):
    """One line of text an engine read, with its confidence (0-1)."""

    model_config = ConfigDict(frozen=True)

    text: str
    confidence: float = Field(ge=0, le=1)


class ImageText(BaseModel):
    """The text read from one image and what the text screen found in it."""

    model_config = ConfigDict(frozen=True)

    status: Literal["ok", "unavailable"]
    """`unavailable`: the engine could not read this image; `error` says why."""
    engine: str
    """Which engine read it, with its version."""
    text: str = ""
    """The lines as read (top to bottom, left to right), one per line: untrusted data."""
    lines: list[TextLine] = Field(default_factory=list)
    findings: list[TextFinding] = Field(default_factory=list)
    """The text screen's findings in `text`, under the field `image:<reference>`."""
    scale: float | None = None
    """How the image was resized before reading (1.0: as it is)."""
    error: str | None = None


class TextReadFailed(Exception):
    """The engine could not read an image (it did not load, or failed on this image)."""


class TextReader(Protocol):
    """An OCR engine.

    Contract: `read` takes an RGB image already fitted for reading and returns its lines
    in reading order (empty when there is no text). It raises `TextReadFailed` when the
    engine cannot read the image (it did not load, or failed on it) and
    `BackendUnavailable` when a call that might succeed later failed (a remote engine),
    which is retried. Whatever else an engine raises or answers, the image's text is
    `unavailable` with the error named: an engine is someone else's code, and its failure
    must cost the case its approval, not the rest of its evidence. `name` identifies the
    engine, its version and settings: what it read is kept per process under that name.
    """

    @property
    def name(self) -> str:
        """The engine and its version, e.g. "rapidocr-onnxruntime/1.4.4"."""
        ...

    def read(self, image: Image.Image) -> list[TextLine]:
        """The text lines in `image`."""
        ...


def fit_for_reading(
    image: Image.Image, *, max_pixels: int = READ_MAX_PIXELS, long_side: int = READ_LONG_SIDE
) -> tuple[Image.Image, float]:
    """`image` in RGB, scaled down to at most `max_pixels` or up towards `long_side`
    (at most 3x, never past `max_pixels`), and the factor it was scaled by."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    pixels = width * height
    if pixels > max_pixels:
        factor = math.sqrt(max_pixels / pixels)
    elif max(width, height) < long_side:
        factor = min(long_side / max(width, height), _MAX_UPSCALE, math.sqrt(max_pixels / pixels))
    else:
        return rgb, 1.0
    size = (max(1, int(width * factor)), max(1, int(height * factor)))
    if size == rgb.size:
        return rgb, 1.0
    return rgb.resize(size, Image.Resampling.LANCZOS), round(factor, 4)


class RapidOcrReader:
    """PP-OCR (detection, direction, recognition) through `rapidocr-onnxruntime`.

    The models ship inside the wheel; nothing is downloaded. The engine is loaded on the
    first read, once per process (a lock keeps two threads from loading it twice), with
    onnxruntime's thread pools at `threads` (one by default: the tools already run
    beside each other, and this machine has two cores). An engine that fails to load is
    not kept: each read says why, and the next one tries again.
    """

    def __init__(self, *, threads: int = 1) -> None:
        self.threads = threads
        self.name = f"rapidocr-onnxruntime/{_package_version('rapidocr-onnxruntime')}"

    def read(self, image: Image.Image) -> list[TextLine]:
        """The lines in `image`, in reading order; `TextReadFailed` on any engine error."""
        engine = _rapidocr_engine(self.threads)
        # The engine reads OpenCV's channel order (BGR) from an array.
        pixels = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        try:
            with _READING:
                found, _ = engine(pixels)
        except Exception as exc:  # onnxruntime, OpenCV and the engine each raise their own
            raise TextReadFailed(f"OCR failed ({type(exc).__name__}: {first_line(exc)})") from exc
        return [
            TextLine(text=str(text).strip(), confidence=round(min(1.0, max(0.0, float(score))), 4))
            for _box, text, score in found or []
            if str(text).strip()
        ]


_ENGINES: dict[int, Any] = {}
_LOADING = threading.Lock()
_READING = threading.Lock()
"""One image at a time in a process: the engine keeps per-call state on itself (its
detector's resize step), and two cores gain nothing from two reads at once."""


def _rapidocr_engine(threads: int) -> Any:
    with _LOADING:
        engine = _ENGINES.get(threads)
        if engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR  # heavy (onnxruntime, OpenCV): on first use

                engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=threads)
            except Exception as exc:  # a missing package, model file or runtime library
                raise TextReadFailed(
                    f"OCR engine unavailable ({type(exc).__name__}: {first_line(exc)})"
                ) from exc
            _ENGINES[threads] = engine
    return engine


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not-installed"


class ImageTextScreener:
    """Reads an image's text with a `TextReader` and screens it with a `TextScreener`."""

    def __init__(
        self, reader: TextReader, screener: TextScreener, *, max_pixels: int = READ_MAX_PIXELS
    ) -> None:
        self.reader = reader
        self.screener = screener
        self.max_pixels = max_pixels

    def screen(self, ref: str, data: bytes) -> ImageText:
        """The text of the image `ref` (encoded as `data`, already known to decode) and its
        findings; `unavailable` when the engine could not read it."""
        engine = self.reader.name
        try:
            lines, scale = self._read(data)
        except (TextReadFailed, BackendUnavailable) as exc:
            return ImageText(status="unavailable", engine=engine, error=str(exc))
        except Exception as exc:  # the engine's own bug: this image's text is not known
            error = f"OCR engine failed ({type(exc).__name__}: {first_line(exc)})"
            return ImageText(status="unavailable", engine=engine, error=error)
        text = "\n".join(line.text for line in lines)
        findings = self.screener.screen({image_field(ref): text}).findings if text else []
        return ImageText(status="ok", engine=engine, text=text, lines=lines, findings=findings, scale=scale)

    def _read(self, data: bytes) -> tuple[list[TextLine], float]:
        key = (hashlib.blake2b(data, digest_size=16).digest(), self.reader.name, self.max_pixels)
        found = _READ_CACHE.get(key)
        if found is not None:
            return found
        with Image.open(io.BytesIO(data)) as image:
            fitted, scale = fit_for_reading(image, max_pixels=self.max_pixels)
        # The reader's contract: BackendUnavailable is what a retry may fix.
        answer, _ = call_with_retry(lambda: self.reader.read(fitted), retry_on=(BackendUnavailable,))
        found = (_lines(answer), scale)
        if len(_READ_CACHE) >= _CACHE_SIZE:
            _READ_CACHE.pop(next(iter(_READ_CACHE)), None)
        _READ_CACHE[key] = found
        return found


def _lines(answer: object) -> list[TextLine]:
    """An engine's answer as text lines, or `TextReadFailed` naming what it answered."""
    if not isinstance(answer, list | tuple):
        raise TextReadFailed(f"OCR engine answered a {type(answer).__name__}, not a list of lines")
    try:
        return [line if isinstance(line, TextLine) else TextLine.model_validate(line) for line in answer]
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise TextReadFailed(f"OCR engine answered malformed data: {first['msg']}") from None


_READ_CACHE: dict[tuple[bytes, str, int], tuple[list[TextLine], float]] = {}
"""What each engine read, by image content: failures are never kept."""
