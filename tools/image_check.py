"""Image check: perceptual hashes of a listing's photos, matched against known banks.

In the vocabulary of hash-matching systems: the signal type is PDQ (a 256-bit
perceptual hash), a *bank* is a labelled set of hashes of known-violating images, the
*index* answers nearest-neighbour queries over a bank, and a *match* is a bank entry
within the distance threshold. Hashing (`hash_image`) is kept apart from matching
(`PdqIndex`), so a bank can be rebuilt without touching how images are read.

Photos are also matched against images already seen on other sellers' listings, which
catches stolen or shared product photos. Missing, unreadable, oversized or blocked
images are evidence, not crashes.

With an `ImageTextScreener`, the text in each photo is read too (OCR) and screened like
the listing's own words (`tools/image_text.py`): each image's `ocr` holds the text read
(`ocr.text`) and its findings (`ocr.findings`); an image whose text could not be read
says so (`ocr.status`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

import numpy as np
import pdqhash
from langchain_core.tools import BaseTool, StructuredTool
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field

from auditgraph.tools.case import PolicyArea
from auditgraph.tools.evidence import Evidence
from auditgraph.tools.image_text import ImageText, ImageTextScreener
from auditgraph.tools.retry import BackendUnavailable, call_with_retry
from auditgraph.tools.text_screen import TextFinding

__all__ = [
    "CASE_MAX_PIXELS",
    "PDQ_MATCH_THRESHOLD",
    "BankEntry",
    "BankMatch",
    "HashBank",
    "ImageCheck",
    "ImageCheckInput",
    "ImageChecker",
    "ImageFinding",
    "ImageProblem",
    "ImageSource",
    "LocalImageSource",
    "PdqHash",
    "PdqIndex",
    "Sighting",
    "build_hash_bank",
    "hash_image",
    "load_hash_bank",
    "make_image_check_tool",
]

PDQ_MATCH_THRESHOLD = 31
"""Hamming distance at or under which two PDQ hashes are the same picture (PDQ's own advice)."""
MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
"""Larger images are refused before decoding: a defence against decompression bombs."""
CASE_MAX_PIXELS = 48_000_000
"""Decoded pixels one case's images may use together (AUDITGRAPH_IMAGE_BUDGET_PIXELS)."""
READ_SECONDS = 10.0
"""Longest one image file may take to read from disk."""

# Our limit is checked on every image before decoding. Pillow's own bomb warning (at its
# larger limit) would only be noise; filtering it once here is safe across tool threads,
# unlike a per-call warnings.catch_warnings().
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class ImageProblem(Exception):
    """An image that cannot be checked; `status` says how it failed."""

    def __init__(self, status: Literal["missing", "unreadable", "blocked"], message: str) -> None:
        super().__init__(message)
        self.status = status


class PdqHash(NamedTuple):
    """A PDQ hash and its quality (0-100; under 50 the hash says little)."""

    hex: str
    quality: int


def hash_image(data: bytes) -> PdqHash:
    """PDQ-hash an encoded image.

    Raises:
        ImageProblem: `unreadable` for anything that does not decode to a sane image.
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageProblem("unreadable", f"image is {len(data):,} bytes; the limit is {MAX_IMAGE_BYTES:,}")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ImageProblem(
                    "unreadable",
                    f"image is {width}x{height} pixels; the limit is {MAX_IMAGE_PIXELS:,}",
                )
            pixels = np.asarray(image.convert("RGB"))
    except ImageProblem:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombError,
        SyntaxError,
    ) as exc:
        raise ImageProblem("unreadable", f"not a readable image ({type(exc).__name__}: {exc})") from None
    bits, quality = pdqhash.compute(pixels)
    return PdqHash(np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality))


class ImageSource(Protocol):
    """Where image bytes come from.

    Contract: `read` returns the bytes of the image a reference names. It raises
    `ImageProblem("missing")` when nothing is there, `ImageProblem("blocked")` when the
    reference points somewhere the source may not read (outside the allowed folders, a
    remote URL when remote fetching is off), and `BackendUnavailable` when a fetch that
    might succeed later failed.
    """

    def read(self, ref: str) -> bytes:
        """The image's bytes."""
        ...


class LocalImageSource:
    """Images on local disk, only inside the allowed folders; remote URLs are blocked."""

    def __init__(self, root: Path, *, extra_roots: Iterable[Path] = ()) -> None:
        self.root = root.resolve()
        self._allowed = [self.root, *(p.resolve() for p in extra_roots)]

    def read(self, ref: str) -> bytes:
        """The image's bytes; relative references resolve against the root."""
        if ref.lower().startswith(("http://", "https://")):
            raise ImageProblem("blocked", f"remote image {ref!r}: remote fetching is disabled")
        if "\x00" in ref:
            raise ImageProblem("blocked", "image reference contains a NUL byte")
        path = (self.root / ref).resolve()
        if not any(path.is_relative_to(root) for root in self._allowed):
            raise ImageProblem("blocked", f"image {ref!r} is outside the allowed image folders")
        try:
            return _read_regular_file(path, ref)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ImageProblem("missing", f"no image file at {ref!r}") from None
        except PermissionError:
            raise ImageProblem("blocked", f"image {ref!r} is not readable") from None
        except OSError as exc:
            raise ImageProblem(
                "unreadable", f"image {ref!r} cannot be read ({exc.strerror or exc})"
            ) from None


def _read_regular_file(path: Path, ref: str) -> bytes:
    """The bytes of a regular file, within the size and time bounds.

    Opened without blocking, so a FIFO, a device or a socket never stalls the run: anything
    but a regular file is refused once opened (checked on the open descriptor, not the name).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(str(path))
        if not stat.S_ISREG(info.st_mode):
            raise ImageProblem("unreadable", f"image {ref!r} is not a regular file")
        if info.st_size > MAX_IMAGE_BYTES:
            raise ImageProblem(
                "unreadable", f"image is {info.st_size:,} bytes; the limit is {MAX_IMAGE_BYTES:,}"
            )
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size, deadline = 0, time.monotonic() + READ_SECONDS
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_IMAGE_BYTES:
                raise ImageProblem("unreadable", f"image is over {MAX_IMAGE_BYTES:,} bytes")
            if time.monotonic() > deadline:
                raise ImageProblem("unreadable", f"image {ref!r} took over {READ_SECONDS:.0f} s to read")
        return b"".join(chunks)
    finally:
        os.close(fd)


class BankEntry(BaseModel):
    """One known image in a bank."""

    model_config = ConfigDict(frozen=True)

    pdq: str
    bank: str
    """Which bank, e.g. "counterfeit_logos"."""
    label: str
    area: PolicyArea
    clause_id: str | None = None
    brand: str | None = None
    source: str
    """The bundled file the hash was computed from."""


class Sighting(BaseModel):
    """An image already seen on another seller's listing."""

    model_config = ConfigDict(frozen=True)

    pdq: str
    seller_id: str
    source: str


class HashBank(BaseModel):
    """Known-violating images and previously seen listing photos, as PDQ hashes."""

    entries: list[BankEntry]
    sightings: list[Sighting] = Field(default_factory=list)


def _manifest_path_hash(image_root: Path, rel: str) -> PdqHash:
    return hash_image((image_root / rel).read_bytes())


def build_hash_bank(manifest_path: Path) -> HashBank:
    """Hash every image the manifest lists (see data/images/manifest.json)."""
    root = manifest_path.parent
    manifest = json.loads(manifest_path.read_text("utf-8"))
    entries = [
        BankEntry(
            pdq=_manifest_path_hash(root, item["file"]).hex,
            bank=item["bank"],
            label=item["label"],
            area=item["area"],
            clause_id=item.get("clause_id"),
            brand=item.get("brand"),
            source=item["file"],
        )
        for item in manifest["bank"]
    ]
    sightings = [
        Sighting(pdq=_manifest_path_hash(root, item["file"]).hex, seller_id=seller, source=item["file"])
        for item in manifest["listings"]
        for seller in item.get("seen_with_sellers", [])
    ]
    return HashBank(entries=entries, sightings=sightings)


def load_hash_bank(path: Path) -> HashBank:
    """Read a hash bank written by `build_hash_bank` (data/images/hashbank.json)."""
    return HashBank.model_validate_json(path.read_text("utf-8"))


class IndexHit(NamedTuple):
    """A position in the index and its distance from the query."""

    position: int
    distance: int


class PdqIndex:
    """Brute-force PDQ nearest neighbours with numpy: ~2 ms per query at 100k hashes."""

    def __init__(self, hashes: Iterable[str]) -> None:
        rows = [np.frombuffer(bytes.fromhex(h), dtype=np.uint8) for h in hashes]
        self._matrix = np.stack(rows) if rows else np.zeros((0, 32), dtype=np.uint8)

    def __len__(self) -> int:
        return len(self._matrix)

    def query(self, pdq: str, threshold: int = PDQ_MATCH_THRESHOLD) -> list[IndexHit]:
        """Every entry within `threshold` bits of `pdq`, nearest first."""
        if not len(self._matrix):
            return []
        probe = np.frombuffer(bytes.fromhex(pdq), dtype=np.uint8)
        distances = np.bitwise_count(self._matrix ^ probe).sum(axis=1)
        hits = np.flatnonzero(distances <= threshold)
        order = hits[np.argsort(distances[hits], kind="stable")]
        return [IndexHit(int(i), int(distances[i])) for i in order]


class BankMatch(BaseModel):
    """A bank entry near a listing's image."""

    model_config = ConfigDict(frozen=True)

    bank: str
    label: str
    area: PolicyArea
    clause_id: str | None
    brand: str | None
    distance: int
    """Hamming distance in bits (0 = identical hash; <= 31 is a match)."""


class ImageFinding(BaseModel):
    """What the check found for one image reference."""

    model_config = ConfigDict(frozen=True)

    ref: str
    status: Literal["ok", "missing", "unreadable", "blocked"]
    pdq: str | None = None
    quality: int | None = None
    matches: list[BankMatch] = Field(default_factory=list)
    reused_by: list[str] = Field(default_factory=list)
    """Other sellers whose listings showed the same photo."""
    ocr: ImageText | None = None
    """The text read from the image (`ocr.text`) and its findings (`ocr.findings`); None
    when text is not read (no reader configured, or the image could not be checked)."""
    error: str | None = None


class ImageCheckInput(BaseModel):
    """Arguments of the image-check tool."""

    images: list[str] = Field(description="The listing's image references, as given in the case.")
    seller_id: str = Field(description="The listing's seller, to tell reuse by others apart.")


class ImageCheck(Evidence):
    """What the image check found, image by image."""

    tool: Literal["image_check"] = "image_check"
    images: list[ImageFinding] = Field(default_factory=list)

    @property
    def unverifiable(self) -> list[ImageFinding]:
        """Images that could not be hashed, for whatever reason."""
        return [i for i in self.images if i.status != "ok"]

    @property
    def unread(self) -> list[ImageFinding]:
        """Checked images whose text the reader could not read."""
        return [i for i in self.images if i.ocr is not None and i.ocr.status != "ok"]

    @property
    def text_findings(self) -> list[TextFinding]:
        """What the text screen found in the text read from the images."""
        if self.status != "ok":
            return []
        return [f for i in self.images if i.ocr is not None for f in i.ocr.findings]


class ImageChecker:
    """Reads images from a source, hashes them and matches them against a bank; with
    `ocr`, also reads the text in each image and screens it."""

    def __init__(
        self,
        source: ImageSource,
        bank: HashBank,
        *,
        threshold: int = PDQ_MATCH_THRESHOLD,
        ocr: ImageTextScreener | None = None,
        case_max_pixels: int = CASE_MAX_PIXELS,
    ) -> None:
        self.source = source
        self.case_max_pixels = case_max_pixels
        self.bank = bank
        self.threshold = threshold
        self.ocr = ocr
        self._bank_index = PdqIndex(e.pdq for e in bank.entries)
        self._sighting_index = PdqIndex(s.pdq for s in bank.sightings)

    def check(self, args: ImageCheckInput) -> ImageCheck:
        """Check every image; a source failure makes the whole check `unavailable`."""
        budget = [self.case_max_pixels]
        try:
            findings = [self._check_one(ref, args.seller_id, budget) for ref in args.images]
        except BackendUnavailable as exc:
            return ImageCheck(status="unavailable", error=str(exc))
        return ImageCheck(images=findings)

    def _check_one(self, ref: str, seller_id: str, budget: list[int]) -> ImageFinding:
        try:
            # The source's contract: BackendUnavailable is what a retry may fix.
            data, _ = call_with_retry(lambda: self.source.read(ref), retry_on=(BackendUnavailable,))
            # Decoded pixels are bounded per case, not only per image: an image past what is
            # left of the budget is not decoded, and so is unverifiable (never approved on);
            # one over the per-image limit is refused by hashing, with that limit named.
            pixels = _pixels(data)
            if MAX_IMAGE_PIXELS >= pixels > budget[0]:
                raise ImageProblem(
                    "unreadable",
                    f"image is {pixels:,} pixels; the case's images are over their budget of "
                    f"{self.case_max_pixels:,} decoded pixels (AUDITGRAPH_IMAGE_BUDGET_PIXELS)",
                )
            budget[0] -= pixels
            pdq = _cached_hash(data)
        except ImageProblem as exc:
            return ImageFinding(ref=ref, status=exc.status, error=str(exc))
        matches = [
            _bank_match(self.bank.entries[hit.position], hit.distance)
            for hit in self._bank_index.query(pdq.hex, self.threshold)
        ]
        reused = {
            self.bank.sightings[hit.position].seller_id
            for hit in self._sighting_index.query(pdq.hex, self.threshold)
        }
        reused.discard(seller_id)
        return ImageFinding(
            ref=ref,
            status="ok",
            pdq=pdq.hex,
            quality=pdq.quality,
            matches=matches,
            reused_by=sorted(reused),
            ocr=self.ocr.screen(ref, data) if self.ocr is not None else None,
        )


def _pixels(data: bytes) -> int:
    """An encoded image's pixel count from its header (nothing decoded); 0 if unreadable,
    which hashing then reports."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return 0
    return int(width) * int(height)


_HASH_CACHE: dict[bytes, PdqHash] = {}
_HASH_CACHE_SIZE = 4096


def _cached_hash(data: bytes) -> PdqHash:
    # Keyed by a digest of the content, so the same photo in many cases is decoded and
    # hashed once per process (~8 ms saved each time) without keeping the bytes alive.
    key = hashlib.blake2b(data, digest_size=16).digest()
    found = _HASH_CACHE.get(key)
    if found is None:
        found = hash_image(data)
        if len(_HASH_CACHE) >= _HASH_CACHE_SIZE:
            _HASH_CACHE.pop(next(iter(_HASH_CACHE)))
        _HASH_CACHE[key] = found
    return found


def _bank_match(entry: BankEntry, distance: int) -> BankMatch:
    return BankMatch(
        bank=entry.bank,
        label=entry.label,
        area=entry.area,
        clause_id=entry.clause_id,
        brand=entry.brand,
        distance=distance,
    )


def make_image_check_tool(checker: ImageChecker) -> BaseTool:
    """The image-check tool as a LangChain tool over `checker`."""

    def image_check(images: list[str], seller_id: str) -> ImageCheck:
        return checker.check(ImageCheckInput(images=images, seller_id=seller_id))

    return StructuredTool.from_function(
        image_check,
        name="image_check",
        description=(
            "Perceptual-hash (PDQ) each listing image and match it against banks of known "
            "violating images (counterfeit logos, weapons, wildlife products, drugs, hazardous "
            "and recalled goods) and against photos already used by other sellers; read the "
            "text in each image (OCR) and screen it like the listing's own text (contact "
            "details, prohibited words, instructions to the reviewer). Reports missing or "
            "unreadable images. Use it whenever the listing has images."
        ),
        args_schema=ImageCheckInput,
    )
