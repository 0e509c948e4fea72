"""Build the risk screen's labelled training corpus from its YAML sources.

Each file under ``sources/violating/`` (one policy area) or ``sources/benign/`` (one
marketplace category) holds slot lists, templates and hand-written examples, checked
against ``schema/source.schema.json`` when it is read. A template draws ``count``
distinct fillings of its slots with a generator seeded by its file and id, so the output
is the same from run to run and a change to one template moves only its own lines.

Writes ``corpus.jsonl`` beside this file: one example a line, with its label, area,
language, category, evasion tags and provenance (source file, template, author pass).

Usage (from the project root)::

    .venv/bin/python data/corpus/build.py          # (re)write corpus.jsonl
    .venv/bin/python data/corpus/build.py --check  # fail if it differs from the sources; print counts
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from auditgraph.evals.datasets.sources import SourceError, fail, load_source, shown

HERE: Final = Path(__file__).resolve().parent
SOURCES: Final = HERE / "sources"
SCHEMA: Final = HERE / "schema" / "source.schema.json"
CORPUS: Final = HERE / "corpus.jsonl"
_SLOT: Final = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_TITLE_MAX: Final = 140
_TRIES_PER_LINE: Final = 60
"""How many draws a template may spend per distinct line before it is judged too narrow."""

Json = dict[str, Any]


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "big")


def _fill(text: str, values: dict[str, str]) -> str:
    return _SLOT.sub(lambda m: values[m.group(1)], text)


def _line(path: Path, data: Json, item: Json, serial: str, title: str, description: str) -> Json:
    return {
        "id": f"{path.stem}-{item['id']}" + (f"-{serial}" if serial else ""),
        "label": data["label"],
        "area": data["area"],
        "lookalike_of": item.get("lookalike_of"),
        "language": item["language"],
        "category": item["category"],
        "evasion": item.get("evasion", []),
        "title": " ".join(title.split()),
        "description": description.strip(),
        "provenance": {
            "source": shown(path),
            "template": item["id"] if serial else None,
            "author": data["author"],
        },
    }


def _check(path: Path, data: Json) -> None:
    """What a schema cannot say: slots exist, ids are unique, labels and areas agree."""
    if (data["label"] == "violating") != (data["area"] is not None):
        raise fail(path, ["area"], "a violating file names its area; a benign file has area: null")
    slots = data.get("slots", {})
    seen: set[str] = set()
    for key in ("templates", "examples"):
        for index, item in enumerate(data.get(key, [])):
            if item["id"] in seen:
                raise fail(path, [key, index, "id"], f"{item['id']!r} is used twice in this file")
            seen.add(item["id"])
            if data["label"] == "violating" and item.get("lookalike_of"):
                raise fail(path, [key, index, "lookalike_of"], "only benign examples are look-alikes")
            for field in ("title", "description"):
                names = _SLOT.findall(item.get(field, ""))
                if key == "examples" and names:
                    raise fail(path, [key, index, field], "a hand-written example has no slots")
                missing = [n for n in names if n not in slots]
                if missing:
                    raise fail(path, [key, index, field], f"no slot named {missing[0]!r} in this file")


def _expand(path: Path, data: Json) -> Iterator[Json]:
    slots = data.get("slots", {})
    for index, template in enumerate(data.get("templates", [])):
        names = sorted({*_SLOT.findall(template["title"]), *_SLOT.findall(template.get("description", ""))})
        rng = random.Random(_seed(shown(path), template["id"]))
        made: set[tuple[str, str]] = set()
        for _ in range(template["count"] * _TRIES_PER_LINE):
            if len(made) == template["count"]:
                break
            values = {name: rng.choice(slots[name]) for name in names}
            pair = (_fill(template["title"], values), _fill(template.get("description", ""), values))
            if pair not in made:
                made.add(pair)
                yield _line(path, data, template, f"{len(made):03d}", *pair)
        if len(made) < template["count"]:
            raise fail(
                path,
                ["templates", index, "count"],
                f"only {len(made)} distinct lines can be drawn from these slots, not {template['count']}",
            )
    for example in data.get("examples", []):
        yield _line(path, data, example, "", example["title"], example.get("description", ""))


def build(root: Path = SOURCES) -> list[Json]:
    """Every corpus line made from the sources under `root`, in file order; duplicates dropped.

    Raises:
        SourceError: the first source file that is invalid, one line: file:line: field: problem.
    """
    lines: list[Json] = []
    texts: set[tuple[str, str]] = set()
    for path in sorted([*root.glob("violating/*.yaml"), *root.glob("benign/*.yaml")]):
        data = load_source(path, SCHEMA)
        _check(path, data)
        for line in _expand(path, data):
            if len(line["title"]) > _TITLE_MAX:
                key = "examples" if line["provenance"]["template"] is None else "templates"
                where = [
                    i
                    for i, item in enumerate(data[key])
                    if line["id"].startswith(f"{path.stem}-{item['id']}")
                ]
                raise fail(
                    path,
                    [key, where[0] if where else 0, "title"],
                    f"a title of {len(line['title'])} characters (at most {_TITLE_MAX}): {line['title'][:60]}…",
                )
            key = (line["title"].casefold(), line["description"].casefold())
            if key not in texts:  # the same listing twice would count twice in training
                texts.add(key)
                lines.append(line)
    return lines


def dump(lines: Sequence[Json]) -> str:
    """The corpus as JSON Lines, one example a line."""
    return "".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines)


def counts(lines: Sequence[Json]) -> str:
    """A short table: examples by label, by area, by language."""
    by_label = Counter(line["label"] for line in lines)
    by_area = Counter(line["area"] for line in lines if line["area"])
    by_language = Counter(line["language"] for line in lines)
    rows = [f"{label}: {n}" for label, n in sorted(by_label.items())]
    rows.append("areas: " + ", ".join(f"{a} {n}" for a, n in sorted(by_area.items())))
    rows.append("languages: " + ", ".join(f"{lang} {n}" for lang, n in by_language.most_common()))
    rows.append(f"benign look-alikes: {sum(1 for line in lines if line['lookalike_of'])}")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the corpus, or with --check compare it with what the sources make."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if corpus.jsonl differs from the sources")
    parser.add_argument("--out", type=Path, default=CORPUS, help="where to write (default: beside this file)")
    args = parser.parse_args(argv)
    try:
        text = dump(build())
    except SourceError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    if args.check:
        if not args.out.is_file() or args.out.read_text("utf-8") != text:
            print(
                f"ERROR {shown(args.out)} differs from its sources: run data/corpus/build.py", file=sys.stderr
            )
            return 1
    else:
        args.out.write_text(text, "utf-8")
    print(counts([json.loads(line) for line in text.splitlines()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
