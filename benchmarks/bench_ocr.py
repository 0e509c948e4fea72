"""Benchmark: what reading the text in a listing image costs, per image.

Run:  .venv/bin/python benchmarks/bench_ocr.py [--rounds 3]

Loads the default engine (RapidOCR, PP-OCR's ONNX models, onnxruntime at one thread)
and prints how long the first load took; then, over every bundled listing image
(data/images/listings, 256x256 PNGs) and one large photo made here (2400x1800, a few
lines of text on a textured background, as a phone camera sends), prints per
configuration the median and p95 milliseconds per image:
  hash          the PDQ hash alone: what the image check cost before it read text
  ocr-as-is     the engine on the image as it is
  ocr-fitted    the engine on the image fitted for reading, as the image check does it
                (scaled up to a long side of 768, at most 3x; down to 1,000,000 pixels)
  ocr-cached    the image check's read of an image it already read (kept by content)
and for the large photo, as-is and fitted. Every read but `ocr-cached` bypasses the
per-process cache. Rounds interleave the configurations so machine noise hits all of
them alike; compare figures from one run.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from auditgraph.tools import DEFAULT_TEXT_READER
from auditgraph.tools.image_check import hash_image
from auditgraph.tools.image_text import ImageTextScreener, _rapidocr_engine, fit_for_reading
from auditgraph.tools.text_screen import TextScreener, load_lexicon

ROOT = Path(__file__).resolve().parents[1]
LISTINGS = ROOT / "data" / "images" / "listings"


def _large_photo() -> bytes:
    rng = random.Random(7)
    image = Image.new("RGB", (2400, 1800), (214, 206, 190))
    draw = ImageDraw.Draw(image)
    for _ in range(400):
        x, y, r = rng.randrange(2400), rng.randrange(1800), rng.randrange(10, 90)
        shade = tuple(rng.randrange(150, 235) for _ in range(3))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=shade)
    image = image.filter(ImageFilter.GaussianBlur(3))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=96)
    for i, line in enumerate(["VINTAGE CAMERA LENS", "WhatsApp +1 555 014 2377", "cash only, no returns"]):
        draw.text((180, 420 + i * 240), line, fill=(20, 20, 20), font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    """Print the load time, then medians and p95 per configuration."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    _rapidocr_engine(1)
    print(f"engine {DEFAULT_TEXT_READER.name} loaded in {(time.perf_counter() - started) * 1000:.0f} ms")
    reader = DEFAULT_TEXT_READER
    screener = TextScreener(load_lexicon(ROOT / "data" / "screening" / "lexicon.yaml"))
    cached = ImageTextScreener(reader, screener)
    listings = {p.name: p.read_bytes() for p in sorted(LISTINGS.glob("*.png"))}
    large = _large_photo()
    decoded = {name: Image.open(io.BytesIO(data)).convert("RGB") for name, data in listings.items()}
    fitted = {name: fit_for_reading(image)[0] for name, image in decoded.items()}
    large_image = Image.open(io.BytesIO(large)).convert("RGB")
    large_fitted = fit_for_reading(large_image)[0]
    reader.read(fitted[next(iter(fitted))])  # warm up
    for name, data in listings.items():
        cached.screen(name, data)
    timings: dict[str, list[float]] = {
        k: [] for k in ("hash", "ocr-as-is", "ocr-fitted", "ocr-cached", "large-as-is", "large-fitted")
    }
    for _ in range(args.rounds):
        for name, data in listings.items():
            timings["hash"].append(_timed(lambda data=data: hash_image(data)))
            timings["ocr-as-is"].append(_timed(lambda name=name: reader.read(decoded[name])))
            timings["ocr-fitted"].append(_timed(lambda name=name: reader.read(fitted[name])))
            timings["ocr-cached"].append(_timed(lambda name=name, data=data: cached.screen(name, data)))
        timings["large-as-is"].append(_timed(lambda: reader.read(large_image)))
        timings["large-fitted"].append(_timed(lambda: reader.read(large_fitted)))
    print(
        f"\n{len(listings)} listing images ({', '.join(sorted({f'{i.width}x{i.height}' for i in decoded.values()}))}) "
        f"and one {large_image.width}x{large_image.height} photo (fitted: "
        f"{large_fitted.width}x{large_fitted.height}) x {args.rounds} rounds, one at a time"
    )
    for name, values in timings.items():
        median = statistics.median(values)
        p95 = statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else median
        print(f"{name:13} median {median:8.2f} ms   p95 {p95:8.2f} ms   n={len(values)}")
    text = [line.text for line in reader.read(large_fitted)]
    print(f"\nthe large photo, fitted, reads: {text}")


if __name__ == "__main__":
    main()
