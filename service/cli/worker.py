"""`auditgraph worker`: audit queued runs (Celery on the broker); `status` and `sweep`
for operators (docs/operations.md, "Scaling out")."""

from __future__ import annotations

import logging
import os
import socket
from typing import Annotated

import typer
from sqlalchemy import Engine

from auditgraph.service.cli.common import err, fail, line, load_settings, opened_store, out
from auditgraph.service.dispatcher import Dispatcher
from auditgraph.service.settings import Settings
from auditgraph.store.dispatch import DispatchStore

__all__ = ["worker_app"]

worker_app = typer.Typer(
    help="Audit the runs the API queues: a Celery worker on AUDITGRAPH_BROKER_URL (RabbitMQ).",
    invoke_without_command=True,
)


def _settings() -> Settings:
    settings = load_settings()
    if settings.broker_url is None:
        fail("set AUDITGRAPH_BROKER_URL to the broker, e.g. amqp://guest:guest@127.0.0.1:5672// (RabbitMQ)")
    if not settings.include_sensitive:
        fail("workers audit each run from its stored case: AUDITGRAPH_INCLUDE_SENSITIVE must be on")
    return settings


@worker_app.callback()
def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Runs audited at once (default: AUDITGRAPH_WORKER_CONCURRENCY, or 1)."
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="This worker's node name (default: auditgraph@HOST.PID).")
    ] = None,
) -> None:
    """Start a worker: it claims announced runs in the database, audits them (resuming any
    whose worker died) and sweeps for runs whose announcement was lost. Stop it with Ctrl+C:
    it finishes the runs in hand."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings()
    if concurrency:
        settings = settings.model_copy(update={"worker_concurrency": concurrency})
    store = opened_store(settings)
    try:
        problem = Dispatcher(settings, store.engine).broker_problem()
    finally:
        store.engine.dispose()
    if problem is not None:
        fail(f"{problem} (AUDITGRAPH_BROKER_URL)", code=1)
    from auditgraph.service.worker.app import worker_app as celery_worker

    _log_runs()

    node = name or f"auditgraph@{socket.gethostname()}.{os.getpid()}"
    err.print(
        line(
            ("worker", "bold"),
            f" {node}: {settings.worker_concurrency} process(es) on queue {settings.worker_queue!r}, "
            f"lease {settings.worker_lease_seconds:g} s, at most {settings.worker_max_attempts} attempts a run",
        ),
        soft_wrap=True,
    )
    celery_worker(settings).worker_main(
        [
            "worker",
            f"--concurrency={settings.worker_concurrency}",
            "--pool=prefork",
            f"--queues={settings.worker_queue}",
            f"--hostname={node}",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )


def _log_runs() -> None:
    """A worker is a daemon: its own lines (each run's outcome, the sweep) are logged at INFO,
    everything else still from WARNING up (through the CLI's masking handler)."""
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.INFO)
    logging.getLogger("auditgraph").setLevel(logging.INFO)


@worker_app.command()
def status() -> None:
    """The work queue now (runs queued, leased to workers, with an expired lease, done and
    failed; the oldest queued run's wait) and, with a broker, the workers that answer."""
    settings = load_settings()
    store = opened_store(settings)
    try:
        stats = DispatchStore(store.engine).stats()
        answering = _answering(settings, store.engine) if settings.broker_url else None
    finally:
        store.engine.dispose()
    if answering is not None:
        names = ", ".join(sorted(answering)) or "none"
        out.print(line(f"workers answering on the broker: {len(answering)} ({names})"))
    oldest = "-" if stats.oldest_queued_seconds is None else f"{stats.oldest_queued_seconds:.1f} s"
    out.print(
        line(
            f"queued {stats.queued}  leased {stats.leased}  expired leases {stats.expired}  "
            f"done {stats.done}  failed {stats.failed}  oldest queued {oldest}"
        )
    )
    if stats.failed:
        out.print(line("failed runs: auditgraph runs --status failed"))


def _answering(settings: Settings, engine: Engine) -> list[str] | None:
    """The node names of the workers that answer a ping within a second; None when the
    broker cannot be reached (said on standard error)."""
    dispatcher = Dispatcher(settings, engine)
    problem = dispatcher.broker_problem()
    if problem is not None:
        err.print(line(f"{problem} (AUDITGRAPH_BROKER_URL): cannot ask which workers are up"))
        return None
    replies = dispatcher.celery.control.ping(timeout=1.0) or []
    return [name for reply in replies for name in reply]


@worker_app.command()
def sweep() -> None:
    """Announce again, now, every run whose announcement was lost or whose worker died
    (the workers also do this every AUDITGRAPH_WORKER_SWEEP_SECONDS)."""
    settings = _settings()
    store = opened_store(settings)
    try:
        rung = Dispatcher(settings, store.engine).sweep()
    finally:
        store.engine.dispose()
    out.print(line(f"announced {rung} run(s) again"))
