"""Shared fixtures: bundled data paths, a settings object on a temporary database, auditors."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from auditgraph.agents import Agent, rules_agent
from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.store import SqlAuditStore, make_engine
from auditgraph.store.roles import Login, create_roles
from auditgraph.tools import Toolset, load_bundled_toolset
from auditgraph.workflows import Auditor, GuardPolicy
from auditgraph.workflows.checkpoint import checkpoint_serde
from tests.services import postgres_unreachable

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


class PostgresRoles(NamedTuple):
    """URLs into one private schema of the local PostgreSQL, one per role."""

    admin: str
    """The superuser: an attacker with the owner's powers, or a DBA."""
    migration: str
    """The migration role: owns the schema and migrates it."""
    runtime: str
    """The runtime role: what the app connects as."""
    schema: str


def _role_url(role: str, schema: str) -> str:
    return f"postgresql+psycopg://{role}@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"


@contextmanager
def _private_schema() -> Iterator[PostgresRoles]:
    """A fresh, empty schema owned by a new migration role, and a new runtime role with
    the runtime rights (`auditgraph db create-roles`); all dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    schema, migration, runtime = f"ag_test_{suffix}", f"ag_mig_{suffix}", f"ag_rt_{suffix}"
    admin = create_engine(POSTGRES)
    try:
        create_roles(admin, migration=Login(migration), runtime=Login(runtime), schema=schema)
    except OperationalError as exc:
        admin.dispose()
        postgres_unreachable(exc)
    # No idle connection is kept meanwhile: a test may fork, and a child must share no socket.
    admin.dispose()
    try:
        yield PostgresRoles(
            f"{POSTGRES}?options=-csearch_path%3D{schema}",
            _role_url(migration, schema),
            _role_url(runtime, schema),
            schema,
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"DROP OWNED BY {runtime}, {migration}"))
            conn.execute(text(f"DROP ROLE {runtime}, {migration}"))
        admin.dispose()


@pytest.fixture
def postgres_roles() -> Iterator[PostgresRoles]:
    """A fresh, empty schema owned by a new migration role, and a new runtime role with
    the runtime rights (`auditgraph db create-roles`); all dropped afterwards."""
    with _private_schema() as roles:
        yield roles


def migrate_as_owner(roles: PostgresRoles) -> None:
    """What `auditgraph db migrate` does: migrate as the migration role, grant the runtime role."""
    result = CliRunner().invoke(
        app,
        ["db", "migrate"],
        env={"AUDITGRAPH_DATABASE_URL": roles.runtime, "AUDITGRAPH_MIGRATION_DATABASE_URL": roles.migration},
    )
    assert result.exit_code == 0, result.output


@pytest.fixture
def postgres_url(postgres_roles: PostgresRoles) -> str:
    """The app's URL into a private schema of the local PostgreSQL, migrated by the
    migration role: the app runs as the runtime role, as a deployment should."""
    migrate_as_owner(postgres_roles)
    return postgres_roles.runtime


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database: a SQLite file, or a private PostgreSQL schema the app uses as
    its runtime role (the schema migrated by its owner)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings_on_each_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """As `settings`, once on a new SQLite file and once on a new PostgreSQL schema: a
    module whose tests should hold on both names it as its `settings`."""
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", database_url)
    return Settings()


def is_postgres(url: str) -> bool:
    """Whether `url` is a PostgreSQL database (else SQLite, in these tests)."""
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def _session_postgres() -> Iterator[PostgresRoles]:
    """One private schema for the whole session, migrated by its owner."""
    with _private_schema() as roles:
        migrate_as_owner(roles)
        yield roles


_KEPT_ON_EMPTYING = ("alembic_version", "checkpoint_migrations", "seller")
"""What emptying the session's schema keeps: the revision markers and the seeded sellers."""


@pytest.fixture
def fresh_postgres_url(_session_postgres: PostgresRoles) -> str:
    """As `postgres_url` for tests that only go through the app's own API as its runtime
    role: the session's schema, emptied before the test (a TRUNCATE by the superuser costs
    a few milliseconds, a migration apiece most of a second). A test that changes the
    schema, the roles or their rights, or needs the owner's URL, takes `postgres_url`."""
    admin = create_engine(POSTGRES)
    try:
        with admin.begin() as conn:
            tables = conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = :schema AND NOT (tablename = ANY(:kept))"
                ),
                {"schema": _session_postgres.schema, "kept": list(_KEPT_ON_EMPTYING)},
            ).scalars()
            names = ", ".join(f'"{_session_postgres.schema}"."{t}"' for t in tables)
            if names:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        admin.dispose()
    return _session_postgres.runtime


@pytest.fixture(scope="module")
def module_postgres_url() -> Iterator[str]:
    """As `postgres_url`, one schema for a whole module: for suites whose tests each keep
    to their own runs and cannot afford a migration apiece."""
    with _private_schema() as roles:
        migrate_as_owner(roles)
        yield roles.runtime
