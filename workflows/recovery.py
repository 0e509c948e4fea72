"""Crash recovery: how to finish a run whose process was killed, from its trace and checkpoint.

`Recovery` reads what a killed run left (its stored trace, its LangGraph checkpoint, its
stored case) and answers with a `Resumption`: close the run on a decision already
recorded, continue the graph from its checkpoint, or audit the stored case again. The
runner (`Auditor.recover`, `Auditor.review`) drives the graph on that answer.

The trace is read through `workflows.trace_contract`, the shapes `nodes` writes: a node's
steps are written as it ends, before LangGraph saves its writes, so a `finalize` or a
reviewed `await_review` killed in between is taken from its trace rather than run twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from auditgraph.store.base import AuditStore
from auditgraph.store.chain import committed_case, digest
from auditgraph.store.records import DecisionRecord, RunRecord, TraceStep
from auditgraph.workflows.trace_contract import (
    RECOVER,
    FinalizeOutput,
    Kind,
    Node,
    RecoveryOutput,
    RecoverySource,
    last_node_step,
    recorded_review,
)
from auditgraph.workflows.tracing import StoreRecorder, is_redacted

__all__ = ["Recovery", "RecoveryError", "Resumption"]


class RecoveryError(ValueError):
    """The run cannot be recovered; the message says why and what to do instead."""


@dataclass(frozen=True)
class Resumption:
    """How to finish a run: close it on values already decided, or drive the graph on."""

    case_id: str
    config: dict[str, Any]
    """The graph config to drive with (a review may resume from an earlier checkpoint)."""
    graph_input: Any = None
    """What to invoke the graph with; None continues from the checkpoint."""
    decided: dict[str, Any] | None = None
    """The graph's values with the decision its trace recorded: close on these, run nothing."""


class Recovery:
    """Reads a killed run's trace and checkpoint and says how to finish it."""

    def __init__(
        self,
        *,
        store: AuditStore,
        recorder: StoreRecorder,
        graph: CompiledStateGraph,
        agent: str,
        config_of: Callable[[str], dict[str, Any]],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.graph = graph
        self.agent = agent
        self.config_of = config_of

    def recover(self, run_id: str) -> Resumption:
        """Prepare a run left `running` to be finished, and record a step saying how.

        With per-step checkpoints (`sync`/`async`) the graph continues from the last
        completed step and the trace continues its chain; a `finalize` whose trace was
        written but whose checkpoint was not is taken as recorded, not run twice. With
        `exit` checkpoints the trace is written last, so a run with no trace is audited
        again from its stored case under the same run id (any checkpoint it left is
        dropped).

        Raises:
            RunNotFound: no run has that id.
            RecoveryError: the run is not `running`; its stored case is not the one its
                start record committed; or it kept no checkpoint and its stored case was
                redacted.
        """
        run = self.store.get_run(run_id)
        if run.status != "running":
            raise RecoveryError(f"run {run_id!r} is {run.status}; only a run left running can be recovered")
        steps = self.continue_trace(run_id)
        case = self.store.get_case(run_id)
        self._check_case(run_id, steps, case)
        config = self.config_of(run_id)
        state = self.graph.get_state(config)
        if state.values and steps[1:]:
            decided = self.adopt_recorded(run_id, steps)
            if decided is not None:
                # Finalize ran and its trace was written: the run was decided, and only its
                # close is missing, whatever checkpoint landed.
                self._mark(run, "recorded decision", steps)
                return Resumption(run.case_id, config, decided={**state.values, "decision": decided})
            self._mark(run, "checkpoint", steps, pending=list(state.next))
            return Resumption(run.case_id, config)
        if case is None or is_redacted(case):
            raise RecoveryError(
                f"run {run_id!r} kept no checkpoint and its case was stored redacted: audit it again"
            )
        if state.values:
            # `exit` saves its checkpoint when the graph returns, before `close` writes the
            # held trace: a run killed in between kept a checkpoint and none of its steps.
            self.graph.checkpointer.delete_thread(run_id)  # type: ignore[union-attr]
        self._mark(run, "stored case", steps)
        return Resumption(run.case_id, config, graph_input={"run_id": run_id, "submission": case})

    @staticmethod
    def _check_case(run_id: str, steps: list[TraceStep], case: dict[str, Any] | None) -> None:
        """The stored case must be the one the run's start record committed, or recovery
        would audit an edited case under the original run id."""
        committed = committed_case(steps)
        if committed is None:
            raise RecoveryError(
                f"run {run_id!r} has no start record committing its case (it was recorded before "
                "runs had one, or its trace was cut): it cannot be recovered safely; audit the case again"
            )
        if digest(case) != committed:
            raise RecoveryError(
                f"the stored case of run {run_id!r} is not the one its start record committed "
                f"(digest {committed[:12]}…): it was edited after the run began; not recovered. "
                f"`auditgraph trace verify {run_id}` shows what else changed"
            )

    def resume_review(self, run: RunRecord, resume: Command) -> Resumption:
        """How to resume a run awaiting review with `resume`, after any review killed before it.

        A review whose process was killed after the review was recorded is finished on the
        review first recorded; one killed after its `finalize` was recorded closes on that
        decision.
        """
        steps = self.continue_trace(run.run_id)
        config = self.config_of(run.run_id)
        if self.recorder.write == "run":
            # The stored trace ends at the pause: resume from that checkpoint, not from one
            # a killed review left behind without its trace.
            paused = next((s for s in self.graph.get_state_history(config) if s.interrupts), None)
            if paused is not None:
                config = {**config, "configurable": paused.config["configurable"]}
        elif (decided := self.adopt_recorded(run.run_id, steps)) is not None:
            # The review before this one got as far as the decision: close on it.
            values = self.graph.get_state(config).values
            return Resumption(run.case_id, config, decided={**values, "decision": decided})
        return Resumption(run.case_id, config, graph_input=resume)

    def continue_trace(self, run_id: str) -> list[TraceStep]:
        """The run's stored trace; new steps are numbered and chained after it."""
        steps = self.store.steps(run_id)
        last = steps[-1] if steps else None
        self.recorder.begin(run_id, after_seq=last.seq if last else 0, head=last.hash if last else "")
        return steps

    def adopt_recorded(self, run_id: str, steps: list[TraceStep]) -> DecisionRecord | None:
        """Apply the writes of a node whose trace committed but whose checkpoint write did not.

        A node's steps are written as it ends, before LangGraph saves its writes; a process
        killed in between would run it again. For `finalize` and a reviewed `await_review`
        the trace holds the whole output (the decision, the review), so it is applied as
        recorded instead: running them again would chain a second decision or review.
        A recorded `finalize` decided the run wherever the checkpoint stands (with `async`
        the checkpoints before it may not have landed either): its decision is returned,
        and applied to the checkpoint when the graph still has steps pending. A step that
        does not match the trace contract is not adopted: its node runs again.
        """
        last = last_node_step(steps)
        if last is None:
            return None
        config = self.config_of(run_id)
        pending = self.graph.get_state(config).next
        finalized = FinalizeOutput.from_step(last)
        if finalized is not None:
            if pending:
                self.graph.update_state(config, {"decision": finalized.record}, as_node=Node.FINALIZE)
            return finalized.record
        if last.node != Node.AWAIT_REVIEW or pending != (last.node,):
            return None
        review = recorded_review(steps, last)
        if review is not None:
            self.graph.update_state(config, {"review": review}, as_node=Node.AWAIT_REVIEW)
        return None

    def _mark(
        self,
        run: RunRecord,
        source: RecoverySource,
        steps: list[TraceStep],
        *,
        pending: list[str] | None = None,
    ) -> None:
        """A step saying the run was recovered, from what, and where it stood."""
        output = RecoveryOutput(source=source, steps_kept=len(steps), pending=pending or [], agent=self.agent)
        self.recorder.record(
            [
                TraceStep(
                    run_id=run.run_id,
                    case_id=run.case_id,
                    node=RECOVER,
                    kind=Kind.RECOVERY,
                    output=output.as_output(),
                )
            ]
        )
