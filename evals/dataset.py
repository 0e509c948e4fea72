"""Eval datasets: labelled cases in JSON Lines (one case per line, see datasets/README.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from auditgraph.store.records import Decision
from auditgraph.tools.case import AnyCase, CaseKind, PolicyArea
from auditgraph.tools.evidence import ToolName

__all__ = ["DATASETS", "DatasetError", "EvalCase", "Expected", "load_dataset", "suite_path"]

DATASETS = Path(__file__).resolve().parent / "datasets"
# The same validation as tools.case.parse_case, with the error locations kept for the message.
_CASE: Final[TypeAdapter[Any]] = TypeAdapter(AnyCase)


class Expected(BaseModel):
    """The ground truth for one case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: Decision
    area: PolicyArea | None = None
    clause_ids: list[str] = Field(default_factory=list)
    human_required: bool = False
    """A human must see this case (a correct system escalates it)."""
    tools: list[ToolName] = Field(default_factory=list)
    """Evidence tools a sound audit uses."""


class EvalCase(BaseModel):
    """One labelled case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    input: dict[str, Any]
    expected: Expected
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def violating(self) -> bool:
        """Whether the ground truth takes the listing down or limits it."""
        return self.expected.decision in ("reject", "restrict")

    @property
    def benign(self) -> bool:
        """Whether the ground truth leaves the listing alone."""
        return self.expected.decision == "approve"


class DatasetError(ValueError):
    """A dataset file that cannot be used; one line: ``file:line: field: problem``."""


def suite_path(suite: str) -> Path:
    """The file of a named suite (`core` -> evals/datasets/core.jsonl), or a path as given."""
    path = Path(suite)
    if path.suffix == ".jsonl" or path.exists():
        return path
    return DATASETS / f"{suite}.jsonl"


def _field(loc: Sequence[str | int]) -> str:
    """A field path as ``input.listing.images[0]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(line)"


def _problem(exc: ValidationError, prefix: tuple[str, ...] = ()) -> str:
    """The first error of `exc` as ``field: message``, and how many more there are."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = [p for p in first["loc"] if not str(p).startswith("function-")]
    if prefix and loc and loc[0] in get_args(CaseKind):
        loc = loc[1:]  # the case kind pydantic puts first; `kind` itself is a field of the input
    if first["type"].startswith("union_tag"):
        loc = ["kind"]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{_field([*prefix, *loc])}: {first['msg']}{more}"


def load_dataset(path: Path, *, kind: Literal["strict", "lenient"] = "strict") -> list[EvalCase]:
    """Read and validate a dataset; every input must also be a valid case when `kind` is strict.

    Raises:
        DatasetError: missing file, bad JSON, a line that breaks the format, duplicate ids; the
            message is one line naming the file, the line number and the field.
    """
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"cannot read dataset {str(path)!r}: {exc.strerror or exc}") from None
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            case = EvalCase.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: (column {exc.colno}): not valid JSON: {exc.msg}") from None
        except ValidationError as exc:
            raise DatasetError(f"{where}: {_problem(exc)}") from None
        if kind == "strict":
            try:
                _CASE.validate_python(case.input)
            except ValidationError as exc:
                raise DatasetError(f"{where}: {_problem(exc, ('input',))}") from None
        if case.id in seen:
            raise DatasetError(f"{where}: id: duplicate case id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise DatasetError(f"dataset {str(path)!r} has no cases")
    return cases
