"""`auditgraph tokens`: create, list and revoke the API tokens the HTTP doors accept.

A token is printed once, when created; the database keeps only its SHA-256 digest
(`store.tokens`). Names and roles are checked before anything is written; every refusal
is one line, exit 2. See docs/operations.md, "API tokens".
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from auditgraph.service.cli.common import (
    JsonFlag,
    err,
    fail,
    id_column,
    line,
    load_settings,
    opened_tokens,
    out,
    print_json,
    table,
)
from auditgraph.store.errors import describe_database_error
from auditgraph.store.tokens import ROLES, TokenError, TokenInfo, TokenStore

__all__ = ["tokens_app"]

tokens_app = typer.Typer(
    help="API tokens: each has a name and a role (ops, reviewer, auditor, admin); stored as digests, shown once.",
    no_args_is_help=True,
)


@contextmanager
def _tokens() -> Iterator[TokenStore]:
    """The token store; a refusal or a database error becomes one line."""
    store = opened_tokens(load_settings())
    try:
        yield store
    except TokenError as exc:  # a bad name or role, a name taken, no such token
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(describe_database_error(exc), code=1)
    finally:
        store.engine.dispose()


def _time(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


def _plain(info: TokenInfo) -> dict[str, object]:
    return {
        "token_id": info.token_id,
        "name": info.name,
        "role": info.role,
        "hint": info.hint,
        "created_at": info.created_at.isoformat(),
        "last_used_at": info.last_used_at.isoformat() if info.last_used_at else None,
        "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
        "active": info.active,
    }


@tokens_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Who or what holds the token, e.g. ops-ingest.")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
) -> None:
    """Create a token and print it once: it is not stored and cannot be shown again."""
    with _tokens() as store:
        made = store.create(name, role)
    # The token alone on standard output, so a script can capture it; the note on standard error.
    sys.stdout.write(made.token + "\n")
    sys.stdout.flush()
    info = made.info
    err.print(
        line(
            f"token {info.token_id} ({info.role}) created for {info.name}; keep it now: it is not shown again"
        ),
        soft_wrap=True,
    )


@tokens_app.command("list")
def list_tokens(
    active: Annotated[bool, typer.Option("--active", help="Only tokens not revoked.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List tokens, oldest first: id, name, role, hint, created, last used, revoked (never the token)."""
    with _tokens() as store:
        found = store.list_tokens(include_revoked=not active)
    if as_json:
        print_json([_plain(t) for t in found])
        return
    if not found:
        out.print(
            line(("no tokens; create one with: auditgraph tokens create --name NAME --role ROLE", "dim"))
        )
        return
    rows = table(id_column("id"), "name", "role", "hint", "created (UTC)", "last used (UTC)", "revoked (UTC)")
    for t in found:
        rows.add_row(
            t.token_id,
            t.name,
            t.role,
            t.hint,
            _time(t.created_at),
            _time(t.last_used_at),
            _time(t.revoked_at),
        )
    out.print(rows)


@tokens_app.command("revoke")
def revoke(
    name_or_id: Annotated[str, typer.Argument(help="The token's name, or its id (tok_...).")],
) -> None:
    """Revoke a token: it stops working at once. Revoking a revoked token changes nothing."""
    with _tokens() as store:
        done = store.revoke(name_or_id)
    info = done.info
    said = "was already revoked" if done.already else "revoked"
    out.print(
        line(f"token {info.token_id} ({info.name}, {info.role}) {said} at {_time(info.revoked_at)} UTC")
    )
