"""Trace recording: every node, tool call, decider call and guard check becomes a step.

Steps are written through a `TraceRecorder`, not kept in the graph state. A node's
steps (the node itself, then what ran inside it) are written together when the node
ends, so a node is either fully in the trace or not at all. A recorder never raises
into a run: a write that still fails after its retries is kept as pending, and the
runner refuses to report the run as recorded until `close` succeeds.
Whether steps are written per node or per run follows the checkpoint durability.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Protocol

from langgraph.errors import GraphBubbleUp
from pydantic import BaseModel

from auditgraph.store.base import AuditStore
from auditgraph.store.chain import step_hash
from auditgraph.store.errors import describe_database_error, is_database_error
from auditgraph.store.records import (
    DecisionRecord,
    RunRecord,
    RunStatus,
    StepKind,
    TraceStep,
    new_id,
    utcnow,
)
from auditgraph.store.retry import retrying
from auditgraph.tools.personal_data import mask, mask_text
from auditgraph.tools.retry import first_line
from auditgraph.workflows.trace_contract import Kind

__all__ = [
    "SENSITIVE_KEYS",
    "NodeTrace",
    "RecordingError",
    "StoreRecorder",
    "TraceRecorder",
    "is_redacted",
    "redact",
    "to_json",
]

log = logging.getLogger(__name__)

SENSITIVE_KEYS = frozenset(
    {
        "title",
        "description",
        "appeal_text",
        "report_text",
        "texts",
        "text",
        "excerpt",
        "raw_excerpt",
        "query",
        "submission",
    }
)
"""Keys whose values are raw seller or reporter text; dropped when sensitive data is off."""
_PUBLIC_KEYS = frozenset({"clauses", "rationale"})
_REDACTED = "[redacted: "


class RecordingError(RuntimeError):
    """Trace steps could not be written; the run is not fully recorded."""


class TraceRecorder(Protocol):
    """Writes trace steps. Implementations never raise from `record`."""

    def record(self, steps: list[TraceStep]) -> None:
        """Number and write `steps` (one node's worth) for their run."""
        ...

    def start(self, run: RunRecord, case: dict[str, Any], *, queued: bool = False) -> None:
        """Record a new run, its case and its start record; number its steps after it.
        `queued`: queue it for the workers in the same transaction."""
        ...

    def begin(self, run_id: str, *, after_seq: int = 0, head: str = "") -> None:
        """Start numbering a run's steps after `after_seq`, chained after `head` (when resuming)."""
        ...

    def close(
        self,
        run_id: str,
        status: RunStatus,
        *,
        decision: DecisionRecord | None = None,
        error: str | None = None,
    ) -> None:
        """Write the run's pending steps, decision and status together, or raise `RecordingError`."""
        ...


def to_json(value: Any) -> Any:
    """A JSON-ready copy of `value` (pydantic models dumped, tuples as lists)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def redact(value: Any) -> Any:
    """`value` with the text under `SENSITIVE_KEYS` replaced by its length.

    Policy clauses are the marketplace's own text, not a seller's, and stay readable.
    """
    if isinstance(value, dict):
        return {
            k: (
                v
                if k in _PUBLIC_KEYS
                else f"{_REDACTED}{len(str(v))} chars]"
                if k in SENSITIVE_KEYS and v
                else redact(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def is_redacted(value: Any) -> bool:
    """True when JSON-ready `value` holds text `redact` replaced: it cannot be audited again."""
    return _REDACTED in json.dumps(value)


class StoreRecorder:
    """A `TraceRecorder` over an `AuditStore`.

    `write="node"` writes each node's steps as the node ends, so a run resumed from a
    per-step checkpoint keeps the trace of the nodes it does not re-run. `write="run"`
    keeps a run's steps in memory and writes them in one transaction when the run pauses
    or ends: the pairing for checkpoints written only at exit, where a crash re-runs the
    whole case and so re-records every step. Either way a failed write is retried, then
    kept pending until `close`.

    `continue_from_store=True` is for processes that see a run only part way, such as a
    dev server resuming a run it started before a restart: the first steps it records for
    a run it has not `begin`-ed are numbered and chained after that run's last stored step.
    """

    def __init__(
        self,
        store: AuditStore,
        *,
        include_sensitive: bool = True,
        mask_personal_data: bool = True,
        write: Literal["node", "run"] = "node",
        attempts: int = 3,
        continue_from_store: bool = False,
    ) -> None:
        self.store = store
        self.continue_from_store = continue_from_store
        self.include_sensitive = include_sensitive
        self.mask_personal_data = mask_personal_data
        self.write = write
        self._attempts = attempts
        self._lock = threading.Lock()
        self._seq: dict[str, int] = {}
        self._head: dict[str, str] = {}
        self._pending: dict[str, list[TraceStep]] = defaultdict(list)

    def start(self, run: RunRecord, case: dict[str, Any], *, queued: bool = False) -> None:
        """Record a new run with its case and its start record (which commits the case's
        digest and is signed in the log of run heads), then number its steps after it.
        `queued`: queue it for the workers in the same transaction.

        Raises:
            RecordingError: the store refused the run, after the retries; nothing was recorded.
        """
        try:
            first = self.store.start_run(run, case, queued=queued)
        except Exception as exc:
            raise RecordingError(
                f"run {run.run_id} could not be started: the audit store refused it "
                f"({type(exc).__name__}: {first_line(exc)}); nothing was audited"
            ) from exc
        self.begin(run.run_id, after_seq=first.seq, head=first.hash)

    def begin(self, run_id: str, *, after_seq: int = 0, head: str = "") -> None:
        """Start numbering a run's steps after `after_seq`, chaining them after `head`."""
        with self._lock:
            self._seq[run_id] = after_seq
            self._head[run_id] = head
            self._pending.pop(run_id, None)

    def record(self, steps: list[TraceStep]) -> None:
        """Number `steps` and write them (or hold them, in `run` mode); never raises."""
        if not steps:
            return
        run_id = steps[0].run_id
        with self._lock:
            if self.continue_from_store and run_id not in self._seq:
                self._continue(run_id)
            numbered = []
            for step in steps:
                seq = self._seq.get(step.run_id, 0) + 1
                self._seq[step.run_id] = seq
                prepared = self._prepare(step, seq, self._head.get(step.run_id, ""))
                self._head[step.run_id] = prepared.hash
                numbered.append(prepared)
            if self.write == "run":
                self._pending[run_id].extend(numbered)
                return
        try:
            self._write(numbered)
        except Exception as exc:  # never raise into the run; flush() reports it
            log.error("trace write failed for run %s: %s", run_id, exc)
            with self._lock:
                self._pending[run_id].extend(numbered)

    def _continue(self, run_id: str) -> None:
        """Number and chain after the run's last stored step (the caller holds the lock)."""
        try:
            stored = self.store.steps(run_id)
        except Exception as exc:  # never raise into the run; the numbering then starts at 1
            log.error("cannot read the stored trace of run %s: %s", run_id, exc)
            return
        last = stored[-1] if stored else None
        self._seq[run_id] = last.seq if last else 0
        self._head[run_id] = last.hash if last else ""

    def pending(self, run_id: str) -> list[TraceStep]:
        """Steps of `run_id` not yet written."""
        with self._lock:
            return list(self._pending.get(run_id, []))

    def close(
        self,
        run_id: str,
        status: RunStatus,
        *,
        decision: DecisionRecord | None = None,
        error: str | None = None,
    ) -> None:
        """Write the run's held steps, its decision record and its new status in one transaction.

        Raises:
            RecordingError: after the retries, naming how many steps are not written;
                they stay held, so a later `close` can still write them.
        """
        with self._lock:
            steps = self._pending.pop(run_id, [])
            head = self._head.get(run_id, "")
        try:
            self._retry(
                lambda: self.store.finish_run(
                    run_id, status, decision=decision, error=error, steps=steps, head_hash=head
                )
            )
        except Exception as exc:
            with self._lock:
                self._pending[run_id] = steps + self._pending.get(run_id, [])
            # Never the statement: a driver's error carries the case's values after its first line.
            said = describe_database_error(exc) if is_database_error(exc) else first_line(exc)
            raise RecordingError(
                f"run {run_id} could not be recorded as {status} ({len(steps)} trace step(s) held): {said}"
            ) from exc

    def _prepare(self, step: TraceStep, seq: int, prev_hash: str) -> TraceStep:
        update: dict[str, Any] = {"seq": seq, "prev_hash": prev_hash}
        if not self.include_sensitive:
            update["input"] = redact(step.input)
            update["output"] = redact(step.output)
        if self.mask_personal_data:
            update["input"] = mask(update.get("input", step.input))
            update["output"] = mask(update.get("output", step.output))
            update["error"] = step.error and mask_text(step.error)
        numbered = step.model_copy(update=update)
        return numbered.model_copy(update={"hash": step_hash(prev_hash, numbered)})

    def _write(self, steps: list[TraceStep]) -> None:
        self._retry(lambda: self.store.record_steps(steps))

    def _retry(self, write: Callable[[], None]) -> None:
        for attempt in retrying(attempts=self._attempts):
            with attempt:
                write()


class NodeTrace:
    """Collects one node's step and its children, and records them when the node ends.

    Use as a context manager around a node's body. An exception from the body is
    recorded as the node's error and re-raised; LangGraph's interrupt (a bubble-up, not
    a failure) is recorded without an error.
    """

    def __init__(
        self,
        recorder: TraceRecorder,
        *,
        run_id: str,
        case_id: str,
        node: str,
        input: Any = None,
        **meta: Any,
    ) -> None:
        self.recorder = recorder
        self.run_id = run_id
        self.case_id = case_id
        self.node = node
        self.id = new_id("step")
        self.started = utcnow()
        self.input = input
        self.output: Any = None
        self.meta = meta
        self.children: list[TraceStep] = []

    def add(
        self,
        kind: StepKind,
        *,
        node: str | None = None,
        input: Any = None,
        output: Any = None,
        started: datetime | None = None,
        error: str | None = None,
        **meta: Any,
    ) -> TraceStep:
        """Add a step that ran inside this node, ending now."""
        step = TraceStep(
            run_id=self.run_id,
            case_id=self.case_id,
            parent_id=self.id,
            node=node or self.node,
            kind=kind,
            started=started or utcnow(),
            input=_as_object(input),
            output=_as_object(output),
            error=error,
            **{**self.meta, **meta},
        )
        self.children.append(step)
        return step

    def __enter__(self) -> NodeTrace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        error = None
        if exc is not None and not isinstance(exc, GraphBubbleUp):
            error = f"{type(exc).__name__}: {exc}"
        node_step = TraceStep(
            id=self.id,
            run_id=self.run_id,
            case_id=self.case_id,
            node=self.node,
            kind=Kind.NODE,
            started=self.started,
            input=_as_object(self.input),
            output=_as_object(self.output),
            error=error,
            **self.meta,
        )
        self.recorder.record([node_step, *self.children])


def _as_object(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    data = to_json(value)
    return data if isinstance(data, dict) else {"value": data}
