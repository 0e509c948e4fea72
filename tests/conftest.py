"""Shared fixtures: bundled data paths, a settings object on a temporary database, auditors."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from auditgraph.agents import Agent, rules_agent
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.store import SqlAuditStore, make_engine
from auditgraph.tools import Toolset, load_bundled_toolset
from auditgraph.workflows import Auditor, GuardPolicy
from auditgraph.workflows.checkpoint import checkpoint_serde

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CASES = DATA / "cases"
SCREEN = DATA / "screen" / Settings.model_fields["screen_version"].default
"""The risk screen the project ships and uses by default."""
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CASES / "expected.yaml").read_text())
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave the per-case eval suite out unless it is named (`pytest tests/eval_cases`)."""
    suite = Path(__file__).parent / "eval_cases"
    if collection_path != suite:
        return None
    named = (Path(arg.split("::")[0]).resolve() for arg in config.args)
    return not any(path == suite or suite in path.parents for path in named)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-snapshots", action="store_true", help="Rewrite snapshot files.")


@pytest.fixture
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    """Whether to rewrite snapshots instead of comparing."""
    return bool(request.config.getoption("--update-snapshots"))


def load_case(name: str) -> dict[str, Any]:
    """A bundled example case by file stem."""
    return json.loads((CASES / f"{name}.json").read_text())


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings on a fresh SQLite file; the environment is set too, for subprocesses."""
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", f"sqlite:///{tmp_path / 'audit.db'}")
    return Settings()


@pytest.fixture
def auditor(settings: Settings) -> Iterator[Auditor]:
    """The auditor exactly as the CLI wires it."""
    with open_auditor(settings) as built:
        yield built


@pytest.fixture
def make_auditor(tmp_path: Path) -> Callable[..., Auditor]:
    """Build an auditor on SQLite with some parts swapped for fakes."""

    def build(
        *, agent: Agent | None = None, guard: GuardPolicy | None = None, **toolset_parts: Any
    ) -> Auditor:
        store = SqlAuditStore(make_engine(f"sqlite:///{tmp_path / 'audit.db'}"))
        toolset: Toolset = load_bundled_toolset(DATA, engine=store.engine, escalations=store)
        if toolset_parts:
            toolset = dataclasses.replace(toolset, **toolset_parts)
        return Auditor(
            store=store,
            toolset=toolset,
            agent=agent or rules_agent(),
            checkpointer=InMemorySaver(serde=checkpoint_serde()),
            guard=guard,
        )

    return build


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL into a fresh, private schema of the local PostgreSQL; dropped afterwards."""
    schema = f"ag_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 ({type(exc).__name__}); `.ci/run` starts it")
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
