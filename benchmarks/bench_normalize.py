"""Benchmark: what reading listing text through the normaliser costs per case.

Run:  .venv/bin/python benchmarks/bench_normalize.py [--rounds 30]

The cases are the bundled ones and the eval datasets (core and hard), each reduced to the
free-text fields the planner hands the text screen (`case_text`). Prints, per group of
cases, the median time per case in microseconds of:
  normalise   `fold`, `deobfuscate_folded` and `spellings` over every field
  screen      the whole text screen (`TextScreener.screen`), which includes normalising
Groups: ascii (every field plain ASCII, the fast path), unicode (some field is not:
accents, dashes, other scripts), evasion (synthetic fields, one per evasion class the
normaliser undoes). Then the ratios: unicode / ascii, evasion / ascii, and the
normaliser's share of the screen. Rounds interleave the groups so machine noise hits
all of them alike; one warm-up pass first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditgraph.tools.case import case_text, parse_case  # noqa: E402
from auditgraph.tools.normalize import deobfuscate_folded, fold, spellings  # noqa: E402
from auditgraph.tools.text_screen import TextScreener, load_lexicon  # noqa: E402

DATA = ROOT / "data"
DATASETS = ROOT / "evals" / "datasets"

# One field per evasion class, each hiding a lexicon term.
EVASIONS = [
    "Vintage collector swi\u200etchblade, spring assisted",
    "Orvelle Geneve rep\u2063lica watch, top grade",
    "Automatic sw\u0456tchblade for collectors",
    "Orvelle r\u0435\u0440lica, looks exactly like the boutique piece",
    "\uff52\uff45\uff50\uff4c\uff49\uff43\uff41 watch with box and papers",
    "Automatic switchblad3, opens with one button",
    "Top grade replic4 watch",
    "Pure c0caine and k3tamine, discreet shipping",
    "reeeplica watch, sssswitchblade knife",
    "r.e.p.l.i.c.a watch, f e n t a n y l patches",
]


def _fields() -> dict[str, list[dict[str, str]]]:
    raw = [json.loads(p.read_text()) for p in sorted((DATA / "cases").glob("*.json"))]
    for name in ("core.jsonl", "hard.jsonl"):
        raw += [json.loads(line)["input"] for line in (DATASETS / name).read_text().splitlines() if line]
    groups: dict[str, list[dict[str, str]]] = {"ascii": [], "unicode": []}
    for case in raw:
        texts = case_text(parse_case(case))
        groups["ascii" if all(t.isascii() for t in texts.values()) else "unicode"].append(texts)
    groups["evasion"] = [{"listing.title": t, "listing.description": t} for t in EVASIONS]
    return groups


def _normalise(texts: dict[str, str]) -> None:
    for text in texts.values():
        plain = fold(text)
        spellings(plain, deobfuscate_folded(plain))


def _per_case(fn: Callable[[dict[str, str]], object], cases: list[dict[str, str]]) -> list[float]:
    times = []
    for texts in cases:
        start = time.perf_counter()
        fn(texts)
        times.append((time.perf_counter() - start) * 1e6)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="passes over every case")
    args = parser.parse_args()
    groups = _fields()
    screener = TextScreener(load_lexicon(DATA / "screening" / "lexicon.yaml"))
    measures: dict[str, Callable[[dict[str, str]], object]] = {
        "normalise": _normalise,
        "screen": screener.screen,
    }
    for cases in groups.values():  # warm-up: compiled patterns, caches
        for fn in measures.values():
            _per_case(fn, cases)
    times = {(m, g): [] for m in measures for g in groups}  # type: dict[tuple[str, str], list[float]]
    for _ in range(args.rounds):
        for g, cases in groups.items():
            for m, fn in measures.items():
                times[m, g] += _per_case(fn, cases)
    print(", ".join(f"{len(c)} {g}" for g, c in groups.items()) + f" cases x {args.rounds} rounds")
    print(f"{'measure':<10} {'group':<8} {'median us/case':>15} {'p95 us/case':>12}")
    medians: dict[tuple[str, str], float] = {}
    for (m, g), ts in times.items():
        ordered = sorted(ts)
        medians[m, g] = statistics.median(ordered)
        p95 = ordered[min(int(len(ordered) * 0.95), len(ordered) - 1)]
        print(f"{m:<10} {g:<8} {medians[m, g]:>15.1f} {p95:>12.1f}")
    print()
    for m in measures:
        ascii_ = medians[m, "ascii"]
        print(
            f"{m}: unicode / ascii {medians[m, 'unicode'] / ascii_:.2f}x, "
            f"evasion / ascii {medians[m, 'evasion'] / ascii_:.2f}x"
        )
    for g in groups:
        print(f"normaliser's share of the screen ({g}): {medians['normalise', g] / medians['screen', g]:.0%}")


if __name__ == "__main__":
    main()
