"""Benchmark: what the risk screen adds to a case, by embedder and text length.

Run:  .venv/bin/python benchmarks/bench_screen.py [--rounds 5]

Trains a small screen on the unit tests' labelled examples (training time is printed
but is not the point), then scores the text of every bundled case one at a time, as a
run does, and prints per configuration the median and p95 milliseconds per case:
  ngrams       character and word n-grams only (NoEmbedder)
  e5-120       plus multilingual-e5-small embeddings of the first 120 characters
  e5-240       the same on 240 characters (the default)
and the ratios against ngrams. Rounds interleave the configurations so machine noise
hits all of them alike; compare ratios from one run, not figures across runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import yaml

from auditgraph.agents.screen import E5Embedder, Embedder, Example, NoEmbedder, RiskScreen

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "agents" / "fixtures" / "screen_examples.yaml"


def _case_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "data" / "cases").glob("*.json")):
        listing = json.loads(path.read_text("utf-8")).get("listing") or {}
        texts.append(f"{listing.get('title', '')}. {listing.get('description', '')}".strip())
    return texts


def main() -> None:
    """Print medians, p95 and ratios per configuration."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = yaml.safe_load(FIXTURE.read_text("utf-8"))
    examples = [Example(f"{k}-{i}", t, k) for k, texts in data.items() for i, t in enumerate(texts)]
    embedders: dict[str, Embedder] = {
        "ngrams": NoEmbedder(),
        "e5-120": E5Embedder(max_chars=120),
        "e5-240": E5Embedder(max_chars=240),
    }
    screens = {}
    for name, embedder in embedders.items():
        started = time.perf_counter()
        screens[name] = RiskScreen.fit(examples, embedder=embedder, version="bench", folds=3)
        print(f"{name:8} trained on {len(examples)} examples in {time.perf_counter() - started:.2f} s")
    texts = _case_texts()
    for screen in screens.values():
        screen.score(texts[0])  # warm up
    timings: dict[str, list[float]] = {name: [] for name in screens}
    for _ in range(args.rounds):
        for name, screen in screens.items():
            for text in texts:
                started = time.perf_counter()
                screen.score(text)
                timings[name].append((time.perf_counter() - started) * 1000)
    base = statistics.median(timings["ngrams"])
    print(f"\n{len(texts)} case texts x {args.rounds} rounds, one at a time")
    for name, values in timings.items():
        median = statistics.median(values)
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"{name:8} median {median:7.2f} ms   p95 {p95:7.2f} ms   x{median / base:5.1f} of ngrams")


if __name__ == "__main__":
    main()
