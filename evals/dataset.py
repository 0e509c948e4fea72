"""Eval datasets: labelled cases in JSON Lines (one case per line, see datasets/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditgraph.store.records import Decision
from auditgraph.tools.case import PolicyArea, parse_case
from auditgraph.tools.evidence import ToolName

__all__ = ["DATASETS", "DatasetError", "EvalCase", "Expected", "load_dataset", "suite_path"]

DATASETS = Path(__file__).resolve().parent / "datasets"


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
    """A dataset file that cannot be used; the message names the file and line."""


def suite_path(suite: str) -> Path:
    """The file of a named suite (`core` -> evals/datasets/core.jsonl), or a path as given."""
    path = Path(suite)
    if path.suffix == ".jsonl" or path.exists():
        return path
    return DATASETS / f"{suite}.jsonl"


def load_dataset(path: Path, *, kind: Literal["strict", "lenient"] = "strict") -> list[EvalCase]:
    """Read and validate a dataset; every input must also be a valid case.

    Raises:
        DatasetError: missing file, bad JSON, a line that breaks the format, duplicate ids.
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
        try:
            case = EvalCase.model_validate(json.loads(line))
            if kind == "strict":
                parse_case(case.input)
        except (json.JSONDecodeError, ValidationError, ValueError) as exc:
            first = str(exc).splitlines()[0][:300]
            raise DatasetError(f"{path.name} line {number}: {first}") from None
        if case.id in seen:
            raise DatasetError(f"{path.name} line {number}: duplicate case id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise DatasetError(f"dataset {str(path)!r} has no cases")
    return cases
