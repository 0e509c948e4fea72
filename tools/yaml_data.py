"""Reading the bundled YAML data: libyaml's C loader when PyYAML has it (about 10x faster
on the policy pack and the lexicon, ~80 ms saved per process start), else the pure one."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

__all__ = ["load_model", "load_yaml"]

ModelT = TypeVar("ModelT", bound=BaseModel)

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    """The YAML document in `path` (UTF-8), loaded safely."""
    return yaml.load(path.read_text("utf-8"), Loader=_Loader)


def load_model(path: Path, model: type[ModelT], error: type[Exception], what: str) -> ModelT:
    """The YAML file at `path` validated as `model`.

    Raises:
        error: the file is missing, not YAML, or breaks the schema; the message names
            `what` and the file.
    """
    try:
        return model.model_validate(load_yaml(path))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise error(f"cannot load {what} {str(path)!r}: {exc}") from exc
