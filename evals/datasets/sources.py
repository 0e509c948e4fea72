"""Read the generator's YAML sources, each checked against its JSON Schema when it is loaded.

A file that breaks its schema fails with one line naming the file, the line and the field,
e.g. ``evals/datasets/sources/lookalikes.yaml:42: items[3].price[0]: expected a number``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

if TYPE_CHECKING:
    from jsonschema import ValidationError

HERE: Final = Path(__file__).resolve().parent
ROOT: Final = HERE.parents[1]
DATA: Final = ROOT / "data"
SOURCES: Final = HERE / "sources"
# The C loader is several times faster; line numbers come from composing nodes, on error only.
LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TYPES: Final = {
    "string": "a text",
    "integer": "a whole number",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


class SourceError(ValueError):
    """A source that cannot be used; the message is one line: file:line: field: problem."""


def shown(path: Path) -> str:
    """`path` relative to the project root when it is inside it, as people type it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def field_path(parts: Sequence[str | int]) -> str:
    """A path as ``items[3].price``; keys that are not plain words are quoted."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out or "(top)"


def line_of(path: Path, parts: Sequence[str | int]) -> int:
    """The line where the node at `parts` starts, or where its deepest existing parent does."""
    node = yaml.compose(path.read_text("utf-8"), Loader=LOADER)
    line = 1
    for part in parts:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def fail(path: Path, parts: Sequence[str | int], problem: str) -> SourceError:
    """The one-line error for a problem at `parts` of the file at `path`."""
    return SourceError(f"{shown(path)}:{line_of(path, parts)}: {field_path(parts)}: {problem}")


def _problem(error: ValidationError) -> tuple[list[str | int], str]:
    """Where a schema error points, and what it says in a policy owner's words."""
    parts: list[str | int] = list(error.absolute_path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind in ("type", "oneOf", "anyOf"):
        # For "a text or null", the alternatives' own type errors say what would have done.
        checks = [error] if kind == "type" else [e for e in error.context or () if e.validator == "type"]
        wanted = [
            t
            for e in checks
            for t in ([e.validator_value] if isinstance(e.validator_value, str) else e.validator_value)
        ]
        if wanted:
            return parts, "expected " + " or ".join(_TYPES.get(t, f"a {t}") for t in dict.fromkeys(wanted))
    if kind == "required":
        return [*parts, next(n for n in value if n not in instance)], "is missing"
    if kind in ("additionalProperties", "unevaluatedProperties"):
        found = re.search(r"'([^']+)' (was|were) unexpected", error.message)
        return [*parts, found.group(1)] if found else parts, "is not a field this place takes"
    if kind == "enum":
        return parts, "expected one of " + ", ".join(map(str, value))
    if kind in ("minItems", "maxItems"):
        return parts, f"expected {'at least' if kind == 'minItems' else 'at most'} {value} item(s)"
    return parts, error.message.splitlines()[0][:200]


def load_source(path: Path, schema: Path) -> Any:
    """Parse the YAML file at `path` and validate it against the JSON Schema at `schema`.

    Raises:
        SourceError: an unreadable file, bad YAML, or data the schema refuses; one line.
    """
    try:  # the dev extra: only the generator needs it, not the loader of the datasets
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import best_match
    except ModuleNotFoundError:
        raise SourceError("the generator needs jsonschema: .venv/bin/pip install -e '.[dev]'") from None
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=LOADER)
    except OSError as exc:
        raise SourceError(f"{shown(path)}: cannot read it: {exc.strerror or exc}") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise SourceError(f"{shown(path)}:{line}: (YAML syntax): {exc.problem or exc.context}") from None
    error = best_match(Draft202012Validator(json.loads(schema.read_text("utf-8"))).iter_errors(data))
    if error is not None:
        raise fail(path, *_problem(error))
    return data


@dataclass(frozen=True)
class Family:
    """A recipe for `count` generated cases, the shapes of its file, and where it is written."""

    name: str
    count: int
    recipe: dict[str, Any]
    shapes: dict[str, Any]
    path: Path
    index: int

    def error(self, problem: str) -> SourceError:
        """A one-line error pointing at this family in its file."""
        return fail(self.path, ["families", self.index], f"{self.name}: {problem}")


@dataclass(frozen=True)
class Sources:
    """Everything under sources/ (or the folder `root`) that cases are made of."""

    root: Path
    vocabulary: dict[str, Any]
    brand_items: dict[str, Any]
    benign: dict[str, Any]
    lookalikes: list[dict[str, Any]]
    families: list[Family]
    hard_cases: list[dict[str, Any]]
    general_cases: list[dict[str, Any]]


def _load(name: str, schema: str | None = None, root: Path = SOURCES) -> Any:
    return load_source(root / f"{name}.yaml", root / "schemas" / f"{schema or name}.schema.json")


def load_sources(root: Path = SOURCES) -> Sources:
    """Load and validate every source file; family files in the order of their names.

    Raises:
        SourceError: the first file that fails, or a family name used twice.
    """
    families: list[Family] = []
    for path in sorted((root / "families").glob("*.yaml")):
        data = _load(f"families/{path.stem}", "families", root)
        for index, recipe in enumerate(data["families"]):
            family = Family(recipe["name"], recipe["count"], recipe, data.get("shapes", {}), path, index)
            if any(f.name == family.name for f in families):
                raise family.error("another family already has this name")
            families.append(family)
    return Sources(
        root=root,
        vocabulary=_load("vocabulary", root=root),
        brand_items=_load("brand_items", root=root)["brands"],
        benign=_load("benign_items", root=root),
        lookalikes=_load("lookalikes", root=root)["items"],
        families=families,
        hard_cases=_load("hard_cases", root=root)["cases"],
        general_cases=_load("general_cases", root=root)["cases"],
    )


@cache
def line_template() -> dict[str, Any]:
    """sources/line_schema.yaml: the schema of a dataset line, less the pack's lists."""
    return _load("line_schema")


@dataclass(frozen=True)
class Vocabulary:
    """The fixed words of a dataset line, in the order lines list them."""

    kinds: tuple[str, ...]
    decisions: tuple[str, ...]
    tools: tuple[str, ...]
    severities: tuple[str, ...]
    tags: tuple[str, ...]


@cache
def vocabulary() -> Vocabulary:
    """The vocabularies of sources/line_schema.yaml, so that there is one list of each."""
    props = line_template()["properties"]
    expected, metadata = props["expected"]["properties"], props["metadata"]["properties"]
    return Vocabulary(
        kinds=tuple(props["input"]["properties"]["kind"]["enum"]),
        decisions=tuple(expected["decision"]["enum"]),
        tools=tuple(expected["tools"]["items"]["enum"]),
        severities=tuple(metadata["severity"]["enum"]),
        tags=tuple(metadata["tags"]["items"]["enum"]),
    )
