"""Runs the graph records itself: those started on the graph directly, with no runner.

Every door of the service goes through `Auditor`, which records a run's start before it
drives the graph and its pause or end after. LangGraph's dev server (langgraph.json) starts
runs on the graph itself, so a context built for it sets `AuditContext.records_runs` and
the graph does the same recording from inside: `intake` opens the run (`open_run`), the
review interrupt pauses it (`pause_run`) and `finalize` closes it (`close_run`), with the
same run row, trace numbering, decision and signed log entry as `Auditor` writes.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from auditgraph.store.base import RunNotFound
from auditgraph.store.records import DecisionRecord, RunRecord
from auditgraph.tools.case import AnyCase
from auditgraph.workflows.context import AuditContext
from auditgraph.workflows.tracing import StoreRecorder, redact

__all__ = [
    "RunAlreadyRecorded",
    "apply_review",
    "close_run",
    "open_run",
    "pause_run",
    "record_start",
    "run_id_for",
]


class RunAlreadyRecorded(ValueError):
    """The run id a directly started run would record is taken by a run already recorded."""


def run_id_for(state: dict[str, Any], config: dict[str, Any]) -> str:
    """The run's id: the one given in the input, else one derived from the LangGraph thread.

    The same thread always gives the same id (`run_` and the thread id's hex), so a run
    resumed on its thread, in this process or after a restart, keeps its record.

    Raises:
        ValueError: the input names no run_id and the run has no thread to derive one from.
    """
    given = state.get("run_id")
    if isinstance(given, str) and given.strip():
        return given
    thread = (config.get("configurable") or {}).get("thread_id")
    if thread is None or not str(thread).strip():
        raise ValueError(
            "the run has no run_id: pass one in the input ({'run_id': ..., 'submission': ...}) "
            "or run the graph on a thread (config {'configurable': {'thread_id': ...}})"
        )
    try:
        return f"run_{uuid.UUID(str(thread)).hex}"
    except ValueError:
        return f"run_{hashlib.sha256(str(thread).encode()).hexdigest()[:32]}"


def open_run(ctx: AuditContext, run_id: str, case: AnyCase) -> None:
    """Record a run as `Auditor.audit` does: its row, stored case and start record.

    Call it with a case already validated, so an invalid case records nothing.

    Raises:
        RunAlreadyRecorded: a run with this id is already recorded.
    """
    try:
        found = ctx.store.get_run(run_id)
    except RunNotFound:
        found = None
    if found is not None:
        raise RunAlreadyRecorded(
            f"run {run_id!r} is already recorded ({found.status}, case {found.case_id!r}): "
            "start the case on a new thread, or give a run_id not used yet"
        )
    record_start(ctx, run_id, case)


def record_start(ctx: AuditContext, run_id: str, case: AnyCase, *, queued: bool = False) -> None:
    """The one place a run is started, by `Auditor.audit` and on the graph alike: the run
    row, its stored case (redacted when sensitive data is off) and its chained start
    record, signed in the log of run heads; its steps are numbered after that record.
    `queued`: the run is queued for the workers in the same transaction (`store.dispatch`).

    Raises:
        RecordingError: the store refused the run; nothing was recorded.
    """
    stored = case.model_dump(mode="json")
    if isinstance(ctx.recorder, StoreRecorder) and not ctx.recorder.include_sensitive:
        stored = redact(stored)
    ctx.recorder.start(
        RunRecord(
            run_id=run_id,
            case_id=case.case_id,
            case_kind=case.kind,
            agent=ctx.agent.kind,
            agent_version=ctx.agent.version,
            policy_version=ctx.policy_version,
        ),
        stored,
        queued=queued,
    )


def pause_run(ctx: AuditContext, run_id: str) -> None:
    """Mark the run awaiting review with its trace head and a signed log entry, once.

    A pause the run already recorded (the interrupt seen again) records nothing more.
    """
    if ctx.store.get_run(run_id).status == "running":
        ctx.recorder.close(run_id, "awaiting_review")


def apply_review(ctx: AuditContext, run_id: str) -> None:
    """Mark the run running again, as `Auditor.review` does before it applies a recorded
    review (one compare-and-set; a run already running is left as it is)."""
    ctx.store.start_applying_review(run_id)


def close_run(ctx: AuditContext, run_id: str, decision: DecisionRecord) -> None:
    """Mark the run completed with its decision, trace head and a signed log entry."""
    ctx.recorder.close(run_id, "completed", decision=decision)
