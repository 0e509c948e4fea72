"""`auditgraph hold`: set, release and list legal holds on cases.

A held case is exempt from every deletion: `auditgraph retention run` and `auditgraph
erase` leave its runs alone. Setting or releasing a hold chains a step saying who and why
to each of the case's runs (`workflows.holds`). Every refusal is one line, exit 2. See
docs/operations.md, "Legal hold".
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from auditgraph.service.cli.common import (
    JsonFlag,
    fail,
    id_column,
    line,
    load_settings,
    opened_store,
    out,
    print_json,
    table,
)
from auditgraph.store.errors import describe_database_error
from auditgraph.store.holds import CaseNotFound, Hold, HoldChange, HoldStore
from auditgraph.store.sql import SqlAuditStore
from auditgraph.workflows.holds import release_hold, set_hold

__all__ = ["hold_app"]

hold_app = typer.Typer(
    help="Legal holds: a held case is kept whole, exempt from retention and erasure.",
    no_args_is_help=True,
)

CaseArg = Annotated[str, typer.Argument(help="The case id, as `auditgraph runs` shows it.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why, e.g. the matter's reference.")]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Who asks for it (kept in the record); default: your login.")
]


@contextmanager
def _store() -> Iterator[SqlAuditStore]:
    """The audit store; a refusal or a database error becomes one line."""
    store = opened_store(load_settings())
    if not isinstance(store, SqlAuditStore):
        fail("legal holds need a SQL database (AUDITGRAPH_DATABASE_URL)")
    try:
        yield store
    except (ValueError, CaseNotFound) as exc:  # a bad value; held already, or not held
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(describe_database_error(exc), code=1)
    finally:
        store.engine.dispose()


def _who(by: str | None) -> str:
    if by is not None:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        fail("cannot tell who you are: give --by NAME")


def _time(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


def _plain(hold: Hold) -> dict[str, object]:
    return {**hold.model_dump(mode="json"), "active": hold.active}


def _print_change(change: HoldChange, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "action": change.action,
                "hold": _plain(change.hold),
                "runs": [
                    {"run_id": r.run_id, "status": r.status, "recorded": r.recorded} for r in change.runs
                ],
            }
        )
        return
    verb = "held" if change.action == "set" else "released"
    recorded = sum(r.recorded for r in change.runs)
    out.print(
        line(
            (f"case {change.hold.case_id} {verb}", "bold"),
            f"; recorded in the trace of {recorded} of its {len(change.runs)} run(s)",
        )
    )
    running = [r.run_id for r in change.runs if not r.recorded]
    if running:
        out.print(
            line(
                (
                    f"{len(running)} run(s) still running were not written to ({', '.join(running)}); "
                    "the hold covers them by their case",
                    "yellow",
                )
            )
        )


@hold_app.command("set")
def set_(case_id: CaseArg, reason: ReasonOpt, by: ByOpt = None, as_json: JsonFlag = False) -> None:
    """Hold a case: its runs are exempt from retention and erasure until it is released."""
    who = _who(by)
    with _store() as store:
        change = set_hold(store, case_id, reason=reason, by=who)
    _print_change(change, as_json)


@hold_app.command("release")
def release(case_id: CaseArg, reason: ReasonOpt, by: ByOpt = None, as_json: JsonFlag = False) -> None:
    """Release a case's hold: its runs fall under retention and erasure again."""
    who = _who(by)
    with _store() as store:
        change = release_hold(store, case_id, reason=reason, by=who)
    _print_change(change, as_json)


@hold_app.command("list")
def list_(
    released: Annotated[bool, typer.Option("--released", help="Also list holds released.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List holds in force (with --released, released ones too), oldest first."""
    with _store() as store:
        holds = HoldStore(store).list(include_released=released)
    if as_json:
        print_json([_plain(h) for h in holds])
        return
    if not holds:
        out.print(line(("no case is held", "dim")))
        return
    rows = table(id_column("case"), "held by", "since", "reason", "released")
    for hold in holds:
        rows.add_row(
            hold.case_id,
            hold.held_by,
            _time(hold.held_at),
            hold.reason,
            "-" if hold.active else f"{_time(hold.released_at)} by {hold.released_by}",
        )
    out.print(rows)
