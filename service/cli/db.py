"""`auditgraph db`: PostgreSQL roles and migrations (create the roles, migrate as the
migration role, check what the app's role may do). See docs/operations.md."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from auditgraph.service.cli.common import fail, line, load_settings, out
from auditgraph.service.database import describe_url, setup_checkpoints
from auditgraph.service.settings import Settings
from auditgraph.store import StoreError, make_engine
from auditgraph.store.roles import Login, check_role, create_roles, grant_runtime, login_of
from auditgraph.store.schema import current_revision, head_revision, upgrade

__all__ = ["db_app"]

db_app = typer.Typer(
    help="PostgreSQL roles and migrations: a migration role owns the schema, the app runs as a runtime role.",
    no_args_is_help=True,
)

_SCHEMA = typer.Option("--schema", help="The schema the audit record lives in.")


@contextmanager
def _engine(url: str, what: str, *, postgres_only: bool = True) -> Iterator[Engine]:
    """An engine on `url` (PostgreSQL unless `postgres_only` is off), or one line saying why
    it cannot be used; errors while it is used are one line too."""
    try:
        if postgres_only and make_url(url).get_backend_name() != "postgresql":
            fail(f"{what} {describe_url(url)} is not PostgreSQL: roles exist only there")
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        fail(f"{what} {describe_url(url)} is not a usable database URL ({type(exc).__name__})")
    try:
        yield engine
    except StoreError as exc:
        fail(f"cannot use the database {describe_url(url)}: {_first_line(exc)}", code=1)
    except SQLAlchemyError as exc:
        fail(f"cannot use the database {describe_url(url)}: {_driver_line(exc)}", code=1)
    finally:
        engine.dispose()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _driver_line(exc: SQLAlchemyError) -> str:
    # The driver's first line names the condition ("permission denied for ..."), never
    # the statement, which SQLAlchemy appends after it.
    said = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return said[0][:300] if said else type(exc).__name__


def _migration_url(settings: Settings) -> str:
    if settings.migration_database_url is None:
        fail("set AUDITGRAPH_MIGRATION_DATABASE_URL to the migration role's URL; see docs/operations.md")
    return settings.migration_database_url


def _login(url: str, variable: str) -> Login:
    try:
        return login_of(url)
    except (ValueError, ArgumentError):
        fail(f"{variable} names no user: give the role in it, e.g. postgresql+psycopg://auditgraph@db/audit")


def _runtime_role(settings: Settings) -> str:
    return _login(settings.database_url, "AUDITGRAPH_DATABASE_URL").name


@db_app.command("create-roles")
def create_roles_command(
    admin_url: Annotated[
        str,
        typer.Option(
            "--admin-url",
            envvar="AUDITGRAPH_ADMIN_DATABASE_URL",
            help="A DBA's URL (a superuser, or a role with CREATEROLE that may grant on the schema).",
            show_envvar=True,
        ),
    ],
    schema: Annotated[str, _SCHEMA] = "public",
) -> None:
    """Create or update the migration role (AUDITGRAPH_MIGRATION_DATABASE_URL's user) and the
    runtime role (AUDITGRAPH_DATABASE_URL's user) and grant each exactly its rights; safe to rerun."""
    settings = load_settings()
    migration = _login(_migration_url(settings), "AUDITGRAPH_MIGRATION_DATABASE_URL")
    runtime = _login(settings.database_url, "AUDITGRAPH_DATABASE_URL")
    if migration.name == runtime.name:
        fail(
            f"AUDITGRAPH_MIGRATION_DATABASE_URL and AUDITGRAPH_DATABASE_URL both use role {runtime.name!r}: "
            "give the app a runtime role of its own"
        )
    with _engine(admin_url, "--admin-url") as admin:
        create_roles(admin, migration=migration, runtime=runtime, schema=schema)
    out.print(
        line(
            f"roles ready in schema {schema!r}: {migration.name!r} migrates and owns, {runtime.name!r} runs the app; "
            "next: auditgraph db migrate"
        )
    )


@db_app.command("migrate")
def migrate() -> None:
    """Bring the schema and the checkpoint tables to this build's revision as the migration
    role, then grant the runtime role its rights on them."""
    settings = load_settings()
    runtime = _runtime_role(settings)
    with _engine(_migration_url(settings), "AUDITGRAPH_MIGRATION_DATABASE_URL") as engine:
        before = current_revision(engine)
        revision = upgrade(engine)
        setup_checkpoints(engine)
        with engine.begin() as conn:
            schema, role = conn.execute(text("SELECT current_schema(), current_user")).one()
            if role != runtime:
                grant_runtime(conn, runtime, schema=schema)
    moved = f"from {before or 'none'} to {revision}" if before != revision else f"already at {revision}"
    out.print(line(f"schema {schema!r} {moved}; runtime role {runtime!r} granted its rights"))


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Bring the database of AUDITGRAPH_DATABASE_URL (SQLite or PostgreSQL) and its checkpoint
    tables to this build's revision, as that URL's user. With separate PostgreSQL roles, use
    `db migrate` (as the migration role) instead."""
    settings = load_settings()
    with _engine(settings.database_url, "AUDITGRAPH_DATABASE_URL", postgres_only=False) as engine:
        before = current_revision(engine)
        revision = upgrade(engine)
        if engine.dialect.name == "postgresql":
            setup_checkpoints(engine)
    moved = f"from {before or 'none'} to {revision}" if before != revision else f"already at {revision}"
    out.print(line(f"database {describe_url(settings.database_url)} {moved}"))


@db_app.command("check")
def check() -> None:
    """Say which role the app connects as, whether the schema is current, and any right that
    role should not have; exit 1 when something needs fixing."""
    settings = load_settings()
    with _engine(settings.database_url, "AUDITGRAPH_DATABASE_URL") as engine:
        report = check_role(engine)
        revision = current_revision(engine)
    out.print(line("role: ", (report.role, "bold"), f" (schema {report.schema!r})"))
    current = revision == head_revision()
    out.print(
        line(
            "schema: ",
            ("current", "green") if current else ("behind", "red"),
            f" (at {revision or 'none'}, this build needs {head_revision()})",
        )
    )
    for problem in report.problems:
        out.print(line(("TOO MUCH", "red"), f" {problem}"), soft_wrap=True)
    if not report.problems:
        out.print(line(("ok", "green"), " the role has only the runtime rights"))
    if report.problems or not current:
        if not current:
            out.print(line("next: auditgraph db migrate"))
        if report.problems:
            out.print(line("next: auditgraph db create-roles (and run the app as the runtime role)"))
        raise typer.Exit(1)
