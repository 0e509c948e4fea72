"""`auditgraph log`: export the signed log of run heads, and check an export against the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from auditgraph.service.cli.common import emit, fail, line, load_settings, opened_store, out
from auditgraph.service.wiring import trusted_keys
from auditgraph.store import SqlAuditStore
from auditgraph.store.headlog import ENTRY_FIELDS, plain_value
from auditgraph.store.integrity import check_log, compare_export, compare_exports
from auditgraph.store.signing import SigningKeyError

__all__ = ["log_app", "read_export"]

log_app = typer.Typer(
    help="The signed log of run heads: export it to keep outside the database, and compare an export with it.",
    no_args_is_help=True,
)

_EXPORTED = (*ENTRY_FIELDS, "entry_hash", "signature")


def _line(entry: dict[str, Any]) -> str:
    plain = {k: plain_value(v) for k, v in entry.items() if k in _EXPORTED}
    return json.dumps(plain, sort_keys=True, ensure_ascii=False)


def read_export(path: Path) -> list[dict[str, Any]]:
    """The entries of an export (JSON lines), or exit 2 saying why it cannot be read."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        fail(f"cannot read the export {str(path)!r}: {exc.strerror}")
    except UnicodeDecodeError:
        fail(f"the export {str(path)!r} is not UTF-8 text")
    entries = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            entry = json.loads(text)
        except json.JSONDecodeError:
            fail(f"the export {str(path)!r} line {number} is not JSON")
        if not isinstance(entry, dict):
            fail(f"the export {str(path)!r} line {number} is not a JSON object")
        entries.append(entry)
    return entries


def _store() -> SqlAuditStore:
    store = opened_store(load_settings())
    if not isinstance(store, SqlAuditStore):
        fail("the log of run heads needs the SQL audit store")
    return store


@log_app.command("export")
def export(
    to: Annotated[Path | None, typer.Option("--out", help="Write here instead of standard output.")] = None,
) -> None:
    """Write every signed log entry as one JSON line (seq, run, head, seal, links, signature, key id)."""
    text = "".join(_line(e) + "\n" for e in _store().log_entries())
    if emit(text, to):
        out.print(line(f"wrote {text.count(chr(10))} log entries to {to}"))


@log_app.command("verify")
def verify(
    export_file: Annotated[Path, typer.Argument(help="An export from `auditgraph log export`.")],
    public_keys: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key",
            help="A PEM public key the entries must be signed by (repeat for rotated keys); "
            "default: the trusted keys from settings.",
        ),
    ] = None,
    newer: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="A later export of the same log to compare with, instead of the database: "
            "this export must be where that one began.",
        ),
    ] = None,
) -> None:
    """Check an export's own links, hashes and signatures, then compare it with the database
    (or with a later export): entries missing, changed, or the log rewritten."""
    settings = load_settings()
    try:
        trusted = trusted_keys(settings, public_keys)
    except SigningKeyError as exc:
        fail(str(exc))
    exported = read_export(export_file)
    problems: list[str] = []
    exports = [(str(export_file), exported)]
    if newer is not None:
        later = read_export(newer)
        exports.append((str(newer), later))
    for name, entries in exports:
        own: list[str] = []
        check_log(entries, trusted if trusted.keys else None, own)
        problems += [f"{name}: {p}" for p in own]
    if not trusted.keys:
        problems.append("no public key to check signatures with: pass --public-key FILE")
    if newer is not None:
        problems += compare_exports(exported, later)
        compared = f"the export {newer}"
    else:
        problems += compare_export(exported, _store().log_entries())
        compared = "the database"
    for problem in problems:
        out.print(line(("TAMPERED", "red"), f" {problem}"), soft_wrap=True)
    out.print(
        line(
            f"{len(exported)} exported entries checked against {compared}: "
            + ("all match" if not problems else f"{len(problems)} problem(s)")
        )
    )
    if problems:
        raise typer.Exit(1)
