"""Settings: one object, read from the environment (prefix AUDITGRAPH_) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_DATA_DIR", "Settings"]

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data"
"""The bundled demo data beside the code."""


class Settings(BaseSettings):
    """Everything a deployment can change, with safe defaults for a laptop."""

    model_config = SettingsConfigDict(env_prefix="AUDITGRAPH_", extra="ignore")

    database_url: str = "sqlite:///.auditgraph/audit.db"
    """Where the audit record and the checkpoints live. SQLite by default; a
    postgresql+psycopg:// URL moves both to PostgreSQL."""
    data_dir: Path = DEFAULT_DATA_DIR
    """The policy pack, sellers, hash bank, lexicon and brand registry."""
    image_roots: list[Path] = Field(default_factory=list)
    """Extra folders (besides data_dir/images) that case image paths may point into."""
    include_sensitive: bool = True
    """Keep raw listing and appeal text in trace steps; off keeps only their lengths."""
    durability: Literal["sync", "async", "exit"] = "exit"
    """When checkpoints are written: after every step (sync, async), or only when a run
    pauses for review or ends (exit). With exit, the trace is written with the run's
    final status in one transaction and a crash mid-run leaves the run `running` with no
    steps, to be audited again; a paused run is always durable."""
    tool_concurrency: int | None = Field(default=1, ge=1)
    """How many evidence tools run at once. The bundled backends are in-process and
    CPU-bound, so running them one at a time avoids thread contention; raise it (or set
    it empty for no limit) when backends call remote services."""
    confidence_bar: float = Field(default=0.75, ge=0, le=1)
    """Below this, a decision touching a high or critical area goes to a human."""
