"""`auditgraph retention run`: prune the checkpoints of runs finished long ago.

What it keeps and why is in `workflows.retention` and docs/operations.md, "Retention".
Every refusal is one line: exit 2 for a setting or database that cannot be used.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from auditgraph.service.cli.common import (
    JsonFlag,
    fail,
    id_column,
    line,
    load_settings,
    out,
    print_json,
    table,
)
from auditgraph.service.database import describe_url
from auditgraph.service.retention import run_retention
from auditgraph.store import StoreError
from auditgraph.store.errors import describe_database_error
from auditgraph.workflows.retention import RetentionReport

__all__ = ["retention_app"]

retention_app = typer.Typer(
    help="Retention: prune checkpoints of finished runs; open runs and held cases are never touched.",
    no_args_is_help=True,
)


@retention_app.command("run")
def run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be pruned; change nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Prune the checkpoints of runs finished more than AUDITGRAPH_RETENTION_CHECKPOINT_DAYS
    days ago, keeping each run's latest (and, when AUDITGRAPH_RETENTION_RECORD_DAYS is set,
    delete the whole record of runs finished before that); print the runs touched, the
    checkpoints removed, the held cases skipped and the bytes reclaimed."""
    settings = load_settings()
    try:
        report = run_retention(settings, dry_run=dry_run)
    except ValueError as exc:
        fail(str(exc))
    except StoreError as exc:
        said = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        fail(f"cannot use the database {describe_url(settings.database_url)}: {said}", code=1)
    except OSError as exc:
        fail(f"cannot open the database {describe_url(settings.database_url)}: {exc.strerror or exc}", code=1)
    except SQLAlchemyError as exc:
        fail(describe_database_error(exc), code=1)
    except ImportError as exc:
        fail(f"no driver for {describe_url(settings.database_url)}: {exc.name or exc}")
    if as_json:
        print_json(
            {
                **dataclasses.asdict(report),
                "checkpoints_removed": report.checkpoints_removed,
                "row_bytes_removed": report.row_bytes_removed,
            }
        )
        return
    _print(report)


def _size(value: int) -> str:
    return f"{value:,} B" if value < 1024 * 1024 else f"{value / (1024 * 1024):,.1f} MiB ({value:,} B)"


def _print(report: RetentionReport) -> None:
    if report.record_days is not None:
        _print_deleted(report)
    verb = "would prune" if report.dry_run else "pruned"
    if report.pruned:
        rows = table(id_column("run"), "case", "status", "ended", "checkpoints", "row bytes")
        for p in report.pruned:
            rows.add_row(
                p.run_id,
                p.case_id,
                p.status,
                f"{p.ended:%Y-%m-%d %H:%M}",
                f"{p.checkpoints_before} -> {p.checkpoints_after}",
                f"{p.bytes_before:,} -> {p.bytes_after:,}",
            )
        out.print(rows)
    out.print(
        line(
            (f"{verb} {len(report.pruned)} run(s)", "bold"),
            f" finished before {report.cutoff:%Y-%m-%d %H:%M} UTC ({report.checkpoint_days} days):"
            f" {report.checkpoints_removed} checkpoint(s) removed, latest kept;"
            f" {report.unchanged} run(s) had nothing to prune",
        )
    )
    if report.held:
        cases = sorted({s.case_id for s in report.held})
        out.print(
            line(
                (
                    f"{len(report.held)} run(s) of {len(cases)} held case(s) skipped: {', '.join(cases)}",
                    "yellow",
                )
            )
        )
    refused = [s.run_id for s in report.skipped if s.reason == "refused"]
    if refused:
        out.print(
            line(
                (
                    f"{len(refused)} run(s) left whole: the checkpointer or the database refused them; the next pass tries again",
                    "yellow",
                )
            )
        )
    freed = "would be freed (an estimate, shared blobs left out)" if report.dry_run else "freed"
    out.print(f"checkpoint rows: {_size(report.row_bytes_removed)} {freed}")
    _print_storage(report)


def _print_deleted(report: RetentionReport) -> None:
    verb = "would delete" if report.dry_run else "deleted"
    if report.deleted:
        rows = table(id_column("run"), "case", "status", "ended", "checkpoints")
        for d in report.deleted:
            rows.add_row(d.run_id, d.case_id, d.status, f"{d.ended:%Y-%m-%d %H:%M}", str(d.checkpoints))
        out.print(rows)
    cutoff = f"{report.record_cutoff:%Y-%m-%d %H:%M}" if report.record_cutoff else "?"
    out.print(
        line(
            (f"{verb} the record of {len(report.deleted)} run(s)", "bold"),
            f" finished before {cutoff} UTC ({report.record_days} days),"
            " each deletion signed in the log of run heads",
        )
    )


def _print_storage(report: RetentionReport) -> None:
    before, after = report.storage_before, report.storage_after
    if before is None or after is None:
        return
    if report.backend == "sqlite":
        out.print(
            f"database file: {_size(before.total)} -> {_size(after.total)}; free pages: "
            f"{_size(before.free or 0)} -> {_size(after.free or 0)} (reusable by later writes; "
            "VACUUM returns them to the disk)"
        )
    else:
        out.print(
            f"checkpoint tables: {_size(before.total)} -> {_size(after.total)} "
            "(deleted rows become reusable after VACUUM, which autovacuum runs; VACUUM FULL returns space to the disk)"
        )
