"""`auditgraph export`: records in the formats others ask for.

`export sor` writes the statements of reasons of restricting decisions in the EU DSA
Transparency Database's format, in batches the database accepts in one call.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from auditgraph.service.cli.common import emit, fail, line, load_settings, opened_store, out
from auditgraph.store import StoreError
from auditgraph.tools import BundledPaths
from auditgraph.tools.case import CaseError
from auditgraph.tools.dsa_sor import MAX_BATCH, statement_problems
from auditgraph.tools.policy_pack import PolicyLibrary, PolicyPackError
from auditgraph.workflows.transparency import batched, restricting_statements

__all__ = ["batch_lines", "export_app"]

export_app = typer.Typer(help="Export records in the formats others ask for.", no_args_is_help=True)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        fail(
            f"--since {value!r} is not an ISO date or time: use e.g. 2026-12-01 or 2026-12-01T09:00:00+00:00"
        )
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def batch_lines(statements: list[dict[str, Any]]) -> str:
    """The export's text: one JSON array of at most 100 statements per line."""
    return "".join(
        json.dumps(b, ensure_ascii=False, sort_keys=True) + "\n" for b in batched(statements, MAX_BATCH)
    )


@export_app.command("sor")
def sor(
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Only decisions taken at or after this ISO date or time (UTC if no zone)."
        ),
    ] = None,
    to: Annotated[Path | None, typer.Option("--out", help="Write here instead of standard output.")] = None,
) -> None:
    """Write a DSA Transparency Database statement of reasons for every reject or restrict:
    one JSON array of at most 100 statements (one API call's batch) per line. Exits 1 when
    a statement breaks the database's schema, naming it and the rule."""
    after = _since(since)
    settings = load_settings()
    store = opened_store(settings)
    try:
        library = PolicyLibrary(BundledPaths(settings.data_dir).policy_dir)
        statements = list(restricting_statements(store, library, since=after))
    except (PolicyPackError, CaseError, StoreError) as exc:
        fail(str(exc), code=1)
    library_taxonomy = library.taxonomy
    if library_taxonomy is None:
        fail("the policy folder has no dsa_taxonomy.yaml to check statements against", code=1)
    today = datetime.now(UTC).date()
    for statement in statements:
        problems = statement_problems(statement, taxonomy=library_taxonomy, today=today)
        if problems:
            fail(f"statement {statement.get('puid')!r} breaks the schema: {'; '.join(problems)}", code=1)
    text = batch_lines(statements)
    if emit(text, to):
        out.print(
            line(
                f"wrote {_count(len(statements), 'statement')} in {_count(text.count(chr(10)), 'batch')} to {to}"
            )
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith('ch') else 's'}"
