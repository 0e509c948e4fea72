"""The `auditgraph` typer app with every command on it, and `main`, its entry point."""

from __future__ import annotations

import typer

from auditgraph.service.cli import audit, reading
from auditgraph.service.cli.common import configure_logging
from auditgraph.service.cli.db import db_app
from auditgraph.service.cli.evals import eval_app
from auditgraph.service.cli.export import export_app
from auditgraph.service.cli.holds import hold_app
from auditgraph.service.cli.log import log_app
from auditgraph.service.cli.retention import retention_app
from auditgraph.service.cli.screen import screen_app
from auditgraph.service.cli.serve import serve
from auditgraph.service.cli.tokens import tokens_app
from auditgraph.service.cli.worker import worker_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="auditgraph",
    help="Audit marketplace moderation cases: evidence tools, cited decisions, human escalation, full traces.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Registered here, at import, in the order `--help` lists them: whoever imports `app`
# (the entry points, tests, another program) gets every command.
for command in (
    audit.run,
    audit.review,
    audit.recover,
    audit.erase,
    reading.runs,
    reading.trace,
    reading.queue,
):
    app.command()(command)
app.command("build-bank")(reading.build_bank)
app.command()(reading.schema)
app.command()(serve)
app.add_typer(eval_app, name="eval")
app.add_typer(screen_app, name="screen")
app.add_typer(log_app, name="log")
app.add_typer(db_app, name="db")
app.add_typer(worker_app, name="worker")
app.add_typer(tokens_app, name="tokens")
app.add_typer(export_app, name="export")
app.add_typer(hold_app, name="hold")
app.add_typer(retention_app, name="retention")


def main() -> None:
    """Entry point for the `auditgraph` command, `python -m auditgraph.service` and
    `python -m auditgraph.service.cli`."""
    configure_logging()
    app()
