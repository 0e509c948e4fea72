"""Write the labelled eval datasets for auditgraph from the YAML sources beside this file.

- ``core.jsonl``: the generated cases (``random.Random(7)``, byte-identical from run to run),
  from the family recipes of ``sources/families/*.yaml`` and the tables they draw on;
- ``hard.jsonl``: the hand-written hard cases of ``sources/hard_cases.yaml``;
- ``general.jsonl``: the generalisation suite of ``sources/general_cases.yaml``, written by hand
  apart from the risk screen's training corpus;
- ``case.schema.json``: the JSON Schema (draft 2020-12) of one dataset line.

README.md beside this file gives the label policy and how to add a case. A checkout-only
tool (it needs the dev extra's jsonschema): the package installs only what it writes.

Usage (from the project root)::

    .venv/bin/python evals/datasets/generate.py          # (re)write the four files
    .venv/bin/python evals/datasets/generate.py --check  # validate them and print counts
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

from auditgraph.evals.datasets.checks import (
    check_file,
    coverage_errors,
    general_coverage_errors,
    line_schema,
    print_counts,
)
from auditgraph.evals.datasets.lines import general_lines, hard_lines
from auditgraph.evals.datasets.recipes import core_lines
from auditgraph.evals.datasets.reference import REF, Json
from auditgraph.evals.datasets.sources import HERE, ROOT, SourceError, Sources, load_sources

CORE_PATH: Final = HERE / "core.jsonl"
HARD_PATH: Final = HERE / "hard.jsonl"
GENERAL_PATH: Final = HERE / "general.jsonl"
SCHEMA_PATH: Final = HERE / "case.schema.json"
HARD_COUNT: Final = 30
"""The hard suite promises exactly this many cases (README.md, tests/evals/test_datasets.py)."""
GENERAL_COUNT: Final = 240
"""The general suite promises exactly this many cases (README.md, tests/evals/test_datasets.py)."""
INVISIBLE: Final = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
"""Invisible format characters, written as JSON escapes in general.jsonl so that a reader sees them."""


def dump_jsonl(lines: Iterable[Json], *, show_invisible: bool = False) -> str:
    """JSON Lines as committed: one object a line, UTF-8 unescaped; with `show_invisible`, the
    invisible characters (zero-width spaces, joiners, ...) as ``\\u200b``-style escapes."""
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    return INVISIBLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text) if show_invisible else text


def render(sources: Sources | None = None) -> dict[Path, str]:
    """What each output file must hold, built from the sources.

    Raises:
        SourceError: a source file that fails its schema or a recipe that cannot be followed.
    """
    sources = sources or load_sources()
    return {
        CORE_PATH: dump_jsonl(core_lines(sources)),
        HARD_PATH: dump_jsonl(hard_lines(sources)),
        GENERAL_PATH: dump_jsonl(general_lines(sources), show_invisible=True),
        SCHEMA_PATH: json.dumps(line_schema(), indent=2, ensure_ascii=False) + "\n",
    }


def check() -> int:
    """Validate the committed files, and that they are what the sources make; 0 when all is well."""
    sources = load_sources()
    stale = [p.name for p, text in render(sources).items() if p.read_text("utf-8") != text]
    from jsonschema import Draft202012Validator  # after render(), which says when it is missing

    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    errors = [f"out of date (run generate.py): {', '.join(stale)}"] if stale else []
    core, core_errors = check_file(CORE_PATH, validator)
    hard, hard_errors = check_file(HARD_PATH, validator)
    general, general_errors = check_file(GENERAL_PATH, validator)
    errors += core_errors + hard_errors + general_errors
    errors += coverage_errors(core, sources.vocabulary["core_areas"]) + general_coverage_errors(general)
    if len(hard) != HARD_COUNT:
        errors.append(f"hard.jsonl: {len(hard)} cases, {HARD_COUNT} expected")
    if len(general) != GENERAL_COUNT:
        errors.append(f"general.jsonl: {len(general)} cases, {GENERAL_COUNT} expected")
    print_counts("core.jsonl", core, CORE_PATH)
    print_counts("hard.jsonl", hard, HARD_PATH)
    print_counts("general.jsonl", general, GENERAL_PATH)
    print(f"case.schema.json: {SCHEMA_PATH.stat().st_size:,} bytes; policy pack {REF.pack_version}")
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    print("check: " + ("FAILED" if errors else "ok"))
    return 1 if errors else 0


def write(out: Path | None = None) -> None:
    """Write the four files next to this module, or into the folder `out`."""
    for path, text in render().items():
        target = path if out is None else out / path.name
        target.write_text(text, "utf-8")
        shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
        print(f"wrote {shown} ({target.stat().st_size:,} bytes)")


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: write the files, or check them with --check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="validate the files and print counts; write nothing"
    )
    parser.add_argument("--out", type=Path, help="write into this folder instead (for comparing)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            return check()
        write(args.out)
    except SourceError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
