"""Run a case through the graph, durably, and keep the run record in step with it.

`Auditor` is what every door (CLI, API, worker, eval runner) calls. A case is validated
before anything is written, so a bad case leaves no trace; a run that fails midway is
marked failed with the error, never left "running" and never approved.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer, Command
from pydantic import ValidationError

from auditgraph.agents import Agent, Verdict
from auditgraph.store.base import AuditStore, ReviewConflict
from auditgraph.store.chain import review_digest
from auditgraph.store.errors import describe_database_error, is_database_error
from auditgraph.store.records import (
    DecisionRecord,
    EscalationRecord,
    ReviewRecord,
    RunRecord,
    RunStatus,
    new_id,
)
from auditgraph.tools import Toolset
from auditgraph.tools.case import parse_case
from auditgraph.tools.policy_retrieval import (
    PolicyIndex,
    PolicyPack,
    PolicyPackError,
    make_policy_retrieval_tool,
)
from auditgraph.workflows.context import AuditContext, GuardPolicy
from auditgraph.workflows.entry import record_start
from auditgraph.workflows.external_tracing import masked_tracers
from auditgraph.workflows.graph import build_graph
from auditgraph.workflows.nodes import ReviewInput, review_problem, review_record, seller_names, stale_review
from auditgraph.workflows.recovery import Recovery, RecoveryError, Resumption
from auditgraph.workflows.state import GuardOutcome
from auditgraph.workflows.tracing import StoreRecorder, is_redacted

__all__ = ["AuditFailed", "Auditor", "ReviewError", "ReviewTaken", "RunOutcome", "StaleReview", "StartedRun"]

Durability = Literal["sync", "async", "exit"]


class AuditFailed(RuntimeError):
    """A run stopped on an error; it is recorded as failed and nothing was decided."""

    def __init__(self, run_id: str, message: str) -> None:
        super().__init__(message)
        self.run_id = run_id


class ReviewError(ValueError):
    """A review that cannot be applied; the message says what to change."""


class ReviewTaken(ReviewError):
    """Another review of the run was recorded first: the message says who decided what, when."""

    def __init__(
        self,
        run_id: str,
        recorded: ReviewRecord | None,
        refused: str | None,
        *,
        applied: bool = True,
        status: str | None = None,
        applying: bool = False,
    ) -> None:
        if recorded is None:
            said = f"run {run_id!r} was already reviewed by someone else"
        else:
            said = (
                f"run {run_id!r} was already reviewed: {recorded.decision} by {recorded.reviewer} "
                f"at {recorded.created_at:%Y-%m-%d %H:%M:%S} UTC"
            )
        if status is not None:
            said = said.replace(
                f"run {run_id!r} was", f"run {run_id!r} is {status}, not awaiting review: it was", 1
            )
        if refused is not None:
            said += f"; your {refused} was not recorded"
        if not applied:
            said += f"; if its process stopped, `auditgraph recover {run_id}` applies the recorded review"
        if applying:
            said += (
                f"; another process is applying that review (if it stopped, "
                f"`auditgraph recover {run_id}` finishes it)"
            )
        super().__init__(said)
        self.run_id = run_id
        self.recorded = recorded


def answer_of(recorded: ReviewRecord | None) -> dict[str, Any]:
    """The graph's resume value for a recorded review (what `await_review` receives)."""
    if recorded is None:
        raise ReviewError("no review is recorded for the run")
    return ReviewInput.model_construct(
        reviewer=recorded.reviewer,
        decision=recorded.decision,
        reason=recorded.reason,
        clause_ids=list(recorded.clause_ids),
        reviewer_role=recorded.reviewer_role,
        review_digest=recorded.review_digest,
    ).model_dump()


class StaleReview(ReviewError):
    """The review was sent with the digest of the run as its reviewer read it, and the run
    has changed since: nothing was recorded; the reviewer reads the run again."""

    def __init__(self, run_id: str) -> None:
        super().__init__(stale_review(run_id))
        self.run_id = run_id


@dataclass(frozen=True)
class StartedRun:
    """A run whose start is recorded and whose graph has not run yet (`Auditor.start`)."""

    run_id: str
    case_id: str
    submission: dict[str, Any]


@dataclass(frozen=True)
class RunOutcome:
    """Where a run stands after `audit` or `review` returns."""

    run_id: str
    case_id: str
    status: RunStatus
    verdict: Verdict | None
    guard: GuardOutcome | None
    escalation: EscalationRecord | None
    decision: DecisionRecord | None


class Auditor:
    """Audits cases with one agent, one toolset and one store; safe to share across threads."""

    def __init__(
        self,
        *,
        store: AuditStore,
        toolset: Toolset,
        agent: Agent,
        checkpointer: Checkpointer,
        guard: GuardPolicy | None = None,
        include_sensitive: bool = True,
        mask_personal_data: bool = True,
        durability: Durability = "exit",
        max_concurrency: int | None = None,
        integrity: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.store = store
        self.integrity = integrity
        """Checks a run's record (chain, rows, signed log): its problems, [] when it verifies.
        A run that does not verify is not recovered."""
        self.toolset = toolset
        self.agent = agent
        self.durability = durability
        self.max_concurrency = max_concurrency
        self.recorder = StoreRecorder(
            store,
            include_sensitive=include_sensitive,
            mask_personal_data=mask_personal_data,
            write="run" if durability == "exit" else "node",
        )
        self.graph: CompiledStateGraph = build_graph(checkpointer=checkpointer)
        self._tracers = masked_tracers()
        """LangSmith, when tracing is on, through a client that masks personal data."""
        self.context = AuditContext(
            store=store,
            recorder=self.recorder,
            agent=agent,
            tools=toolset.evidence_tools(),
            escalation_tool=toolset.escalation_tool(),
            policy=toolset.policy.pack,
            guard=guard or GuardPolicy(),
            mask_personal_data=mask_personal_data,
        )
        self._earlier: dict[str, AuditContext] = {}
        self._earlier_lock = threading.Lock()

    @property
    def policy_version(self) -> str:
        """The version of the policy pack in use."""
        return self.context.policy_version

    def context_for(self, policy_version: str) -> AuditContext:
        """The context a run recorded under `policy_version` continues in.

        A run keeps the pack it was audited under: a review or a recovery after a new
        pack came into force checks, retrieves and quotes clauses from the run's own pack.

        Raises:
            ReviewError: no pack of that version is bundled.
        """
        if policy_version == self.context.policy_version:
            return self.context
        with self._earlier_lock:
            context = self._earlier.get(policy_version)
            if context is None:
                try:
                    pack = self.toolset.packs.pack(policy_version)
                except PolicyPackError as exc:
                    raise ReviewError(
                        f"the run was audited under policy pack {policy_version}, which cannot be opened: {exc}"
                    ) from None
                tools = {
                    **self.context.tools,
                    "policy_retrieval": make_policy_retrieval_tool(PolicyIndex(pack)),
                }
                context = dataclasses.replace(self.context, policy=pack, tools=tools)
                self._earlier[policy_version] = context
        return context

    def audit(self, submission: dict[str, Any], *, run_id: str | None = None) -> RunOutcome:
        """Audit one case.

        Raises:
            CaseError: the case is invalid; nothing was recorded.
            AuditFailed: the run failed; it is recorded as failed.
            RecordingError: the run could not be started, or its trace could not be
                written completely.
        """
        return self.drive(self.start(submission, run_id=run_id))

    def start(
        self, submission: dict[str, Any], *, run_id: str | None = None, queued: bool = False
    ) -> StartedRun:
        """Validate a case and record its run's start, without running it yet: a door
        that answers before the audit ends (202 and a run to poll) starts it first, so the
        run is there to read as soon as its id is given out. `drive` runs it.

        `queued`: hand the run to the workers instead: its dispatch row is written in the
        same transaction (`store.dispatch`), and a worker drives it (`advance`).

        Raises:
            CaseError: the case is invalid; nothing was recorded.
            RecordingError: the run could not be started (e.g. its id is taken).
        """
        case = parse_case(submission)
        run_id = run_id or new_id("run")
        record_start(self.context, run_id, case, queued=queued)
        return StartedRun(run_id=run_id, case_id=case.case_id, submission=submission)

    def drive(self, started: StartedRun) -> RunOutcome:
        """Run a started run to its pause for review or its end (see `audit`)."""
        return self._drive(
            {"run_id": started.run_id, "submission": started.submission}, started.run_id, started.case_id
        )

    def review(self, run_id: str, review: dict[str, Any] | ReviewInput) -> RunOutcome:
        """Resume an escalated run with a reviewer's decision (from any process).

        The review is recorded first, by claiming the run's open escalation in one
        statement: of two reviews racing, one is recorded and the other is refused with
        `ReviewTaken`, naming who decided what and when. Then one process, the one that
        moves the run from awaiting review to running (one compare-and-set), applies it: a
        second submission meanwhile is refused, saying the review is being applied. When a
        review's process was killed after the review was recorded and before it began
        applying it, submitting the same decision again finishes the run on the review
        first recorded (one review record, chained), as `recover` does; a different
        decision is refused.

        Raises:
            RunNotFound: no run has that id.
            ReviewTaken: another review of the run was recorded first.
            StaleReview: the review carries a `review_digest` and the run has changed since
                its reviewer read it; nothing was recorded.
            ReviewError: the run is not awaiting review, or the review is incomplete.
        """
        context, answer = self._record_review(run_id, review)
        self._start_applying(run_id)
        run = self.store.get_run(run_id)
        resumption = self._recovery().resume_review(run, Command(resume=answer.model_dump()))
        return self._finish(run_id, resumption, context)

    def queue_review(self, run_id: str, review: dict[str, Any] | ReviewInput) -> None:
        """Record a reviewer's decision and queue the run for the workers, which apply it
        (`advance`), in one transaction: the review is checked and refused exactly as
        `review` does, and a review recorded before and not applied is queued again.

        Raises:
            As `review`.
        """
        self._record_review(run_id, review, queued=True)

    def _record_review(
        self, run_id: str, review: dict[str, Any] | ReviewInput, *, queued: bool = False
    ) -> tuple[AuditContext, ReviewInput]:
        """Check a review and record it (claiming the escalation) unless the same decision
        is recorded already; the context the run continues in and the review as read. See
        `review`."""
        run = self.store.get_run(run_id)
        recorded = self.recorded_review(run_id)
        if run.status == "running":
            if recorded is not None:
                refused = review.decision if isinstance(review, ReviewInput) else review.get("decision")
                differs = str(refused) if refused and refused != recorded.decision else None
                raise ReviewTaken(run_id, recorded, differs, applying=True)
            # Its escalation can be queued while the run is not: a process that died
            # before writing the pause leaves exactly that.
            raise ReviewError(
                f"run {run_id!r} is still running, not awaiting review; if its process died, "
                f"`auditgraph recover {run_id}` first"
            )
        if run.status != "awaiting_review":
            if recorded is not None:
                refused = review.decision if isinstance(review, ReviewInput) else review.get("decision")
                raise ReviewTaken(run_id, recorded, str(refused) if refused else None, status=run.status)
            raise ReviewError(f"run {run_id!r} is {run.status}, not awaiting review; see `auditgraph queue`")
        try:
            answer = review if isinstance(review, ReviewInput) else ReviewInput.model_validate(review)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(map(str, first["loc"]))
            if first["type"] == "string_too_short":
                raise ReviewError(f"invalid review: {where} is empty") from None
            raise ReviewError(f"invalid review: {where} {first['msg']}") from None
        context = self.context_for(run.policy_version)
        if recorded is not None and recorded.decision != answer.decision:
            raise ReviewTaken(run_id, recorded, answer.decision, applied=False)
        self._check_digest(run, answer)
        if recorded is None:
            if not self.graph.get_state(self._config(run_id)).values:
                # Claiming it would resolve an escalation no graph here can finish.
                raise ReviewError(
                    f"run {run_id!r} has no checkpoint in this database: it was started elsewhere "
                    "(LangGraph's dev server keeps its own); review it where it runs"
                )
            self._check_clauses(run_id, answer, context.policy)
            self._claim(run, answer, context, queued=queued)
        elif queued:
            self.store.queue_run(run_id)  # type: ignore[attr-defined]
        return context, answer

    def review_digest(self, run_id: str) -> str | None:
        """The digest of the run as a reviewer reads it now (`store.chain.review_digest`), for
        a run awaiting review with an open escalation; None for any other run.

        A door shows it with the run and sends it back in the review's `review_digest`:
        `review` then refuses the review (`StaleReview`) if the run changed in between.

        Raises:
            RunNotFound: no run has that id.
        """
        run = self.store.get_run(run_id)
        if run.status != "awaiting_review":
            return None
        escalation = self.store.escalation(run_id)
        if escalation is None or escalation.status != "open":
            return None
        return review_digest(run, escalation)

    def _check_digest(self, run: RunRecord, answer: ReviewInput) -> None:
        """Refuse a review sent with a digest the run no longer has (a review already
        recorded and not applied keeps the digest it was recorded on: same head, same
        escalation)."""
        if answer.review_digest is None:
            return
        escalation = self.store.escalation(run.run_id)
        if escalation is None or review_digest(run, escalation) != answer.review_digest:
            raise StaleReview(run.run_id)

    def _start_applying(self, run_id: str) -> None:
        """Become the one process applying the run's recorded review, or be refused."""
        if not self.store.start_applying_review(run_id):
            raise ReviewTaken(run_id, self.recorded_review(run_id), None, applying=True)

    def recorded_review(self, run_id: str) -> ReviewRecord | None:
        """The review recorded for the run's escalation, if any (the first, should there be more)."""
        escalation = self.store.escalation(run_id)
        if escalation is None:
            return None
        return next(
            (r for r in self.store.reviews(run_id) if r.escalation_id == escalation.escalation_id), None
        )

    def _claim(
        self, run: RunRecord, answer: ReviewInput, context: AuditContext, *, queued: bool = False
    ) -> None:
        """Record the review, claiming the escalation; refused if another review claimed it."""
        escalation = self.store.escalation(run.run_id)
        if escalation is None:
            raise ReviewError(f"run {run.run_id!r} has no escalation to review; see `auditgraph queue`")
        values = self.graph.get_state(self._config(run.run_id)).values
        verdict = values.get("verdict")
        # The reviewer's free text may quote the seller: their name is masked too.
        record = review_record(
            context,
            run.run_id,
            escalation,
            answer,
            verdict.clause_ids if verdict is not None else [],
            names=seller_names(values),  # type: ignore[arg-type]
        )
        try:
            self.store.record_review(record, queued=queued)
        except ReviewConflict as exc:
            raise ReviewTaken(run.run_id, exc.recorded, answer.decision) from None

    def recover(self, run_id: str) -> RunOutcome:
        """Finish a run its process did not finish (it was killed mid-run).

        `Recovery.recover` (workflows/recovery.py) reads what the run left and says
        where to resume, by durability mode; this drives the graph from there. A run
        whose review was recorded but not applied (the review's process was killed before
        or while applying it) is finished on that review, once.

        Raises:
            RunNotFound: no run has that id.
            ReviewError: the run is not `running` (nor holds a review not applied); its
                record does not verify (`integrity`); its stored case is not the one its
                start record committed; or it was stored redacted.
        """
        run = self.store.get_run(run_id)
        recorded = self.recorded_review(run_id)
        if run.status == "awaiting_review" or (run.status == "running" and recorded is not None):
            self._check_integrity(run_id)
            if recorded is None:
                raise ReviewError(
                    f"run {run_id!r} is awaiting review and no review is recorded; only a run left "
                    "running, or a review recorded and not applied, can be recovered"
                )
            if run.status == "awaiting_review":
                self._start_applying(run_id)
            context = self.context_for(run.policy_version)
            resumption = self._recovery().resume_review(run, Command(resume=answer_of(recorded)))
            return self._finish(run_id, resumption, context)
        self._check_integrity(run_id)
        try:
            resumption = self._recovery().recover(run_id)
        except RecoveryError as exc:
            raise ReviewError(str(exc)) from None
        return self._finish(run_id, resumption, self.context_for(self.store.get_run(run_id).policy_version))

    def has_work(self, run_id: str) -> bool:
        """Whether `advance` has anything to do for the run: it is running, or a review is
        recorded for it and not yet applied.

        Raises:
            RunNotFound: no run has that id.
        """
        status = self.store.get_run(run_id).status
        if status == "running":
            return True
        return status == "awaiting_review" and self.recorded_review(run_id) is not None

    def advance(self, run_id: str, *, retry: bool = False) -> RunOutcome | None:
        """Drive a run handed to the workers as far as it goes (a worker calls this holding
        the run's lease): a new run from its stored case; a recorded review not yet applied;
        and, on a `retry` (an earlier holder died or gave it back), whatever `recover` finds.
        None when there is nothing to do (the run is paused with no review, or ended).

        Raises:
            RunNotFound: no run has that id.
            AuditFailed: the run failed; it is recorded as failed.
            ReviewError: the run cannot be recovered (see `recover`), or its stored case is
                redacted (a worker needs the case: keep sensitive data on with workers).
            RecordingError: the trace could not be written.
        """
        run = self.store.get_run(run_id)
        if run.status in ("running", "awaiting_review") and self.recorded_review(run_id) is not None:
            return self.recover(run_id)
        if run.status != "running":
            return None
        if retry:
            return self.recover(run_id)
        case = self.store.get_case(run_id)
        if case is None or is_redacted(case):
            raise ReviewError(
                f"run {run_id!r} has no stored case to audit (it was stored redacted): "
                "workers need AUDITGRAPH_INCLUDE_SENSITIVE on"
            )
        # Started by another process: its steps are numbered and chained after the start record.
        self._recovery().continue_trace(run_id)
        return self.drive(StartedRun(run_id=run_id, case_id=run.case_id, submission=case))

    def give_up(self, run_id: str, reason: str) -> None:
        """Close a run that cannot be finished as failed with `reason`, its trace continued
        from what is stored: nothing is decided, and a person sees why. An ended run is
        left as it is.

        Raises:
            RunNotFound: no run has that id.
            RecordingError: the run could not be closed.
        """
        run = self.store.get_run(run_id)
        if run.status in ("completed", "failed"):
            return
        self._recovery().continue_trace(run_id)
        self.recorder.close(run_id, "failed", error=reason)

    def _check_integrity(self, run_id: str) -> None:
        """Refuse to finish a run whose record was altered: recovery would build on it."""
        problems = self.integrity(run_id) if self.integrity is not None else []
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ReviewError(
                f"run {run_id!r} does not verify, so it is not recovered: {problems[0]}{more}; "
                f"see `auditgraph trace verify {run_id}`"
            )

    def _check_clauses(self, run_id: str, answer: ReviewInput, pack: PolicyPack) -> None:
        """A reviewer's grounds must exist in the run's pack and fit the decision, as an agent's must."""
        if answer.decision == "approve" or answer.clause_ids:
            agent_clauses: list[str] = []
        else:
            verdict = self.graph.get_state(self._config(run_id)).values.get("verdict")
            agent_clauses = verdict.clause_ids if verdict is not None else []
        problem = review_problem(answer, pack, agent_clauses)
        if problem is not None:
            raise ReviewError(problem)

    def _recovery(self) -> Recovery:
        # Built per call from the parts the auditor holds now, should any be swapped.
        return Recovery(
            store=self.store,
            recorder=self.recorder,
            graph=self.graph,
            agent=self.agent.kind,
            config_of=self._config,
        )

    def _config(self, run_id: str) -> dict[str, Any]:
        config: dict[str, Any] = {"configurable": {"thread_id": run_id}}
        if self._tracers:
            config["callbacks"] = list(self._tracers)
        if self.max_concurrency is not None:
            config["max_concurrency"] = self.max_concurrency
        return config

    def _drive(
        self,
        graph_input: Any,
        run_id: str,
        case_id: str,
        *,
        config: dict[str, Any] | None = None,
        context: AuditContext | None = None,
    ) -> RunOutcome:
        try:
            result = self.graph.invoke(
                graph_input,
                config or self._config(run_id),
                context=context or self.context,
                durability=self.durability,
            )
        except Exception as exc:
            if is_database_error(exc):
                # Never the statement: it carries the case's values.
                message = describe_database_error(exc)
            else:
                message = f"{type(exc).__name__}: {exc}"
            self.recorder.close(run_id, "failed", error=message)
            raise AuditFailed(run_id, f"run {run_id} failed: {message}") from exc
        return self._close(run_id, case_id, result)

    def _finish(self, run_id: str, resumption: Resumption, context: AuditContext) -> RunOutcome:
        """Close on the values recovery found decided, or drive the graph on from where it said."""
        if resumption.decided is not None:
            return self._close(run_id, resumption.case_id, resumption.decided)
        return self._drive(
            resumption.graph_input, run_id, resumption.case_id, config=resumption.config, context=context
        )

    def _close(self, run_id: str, case_id: str, result: dict[str, Any]) -> RunOutcome:
        decision: DecisionRecord | None = result.get("decision")
        status: RunStatus = "awaiting_review" if "__interrupt__" in result else "completed"
        self.recorder.close(run_id, status, decision=decision)
        return RunOutcome(
            run_id=run_id,
            case_id=case_id,
            status=status,
            verdict=result.get("verdict"),
            guard=result.get("guard"),
            escalation=result.get("escalation"),
            decision=decision,
        )
