"""The graph's nodes. Each reads `runtime.context`, records its trace, and returns an update.

Nodes gather, route and record; deciding is the agents' job and the guard's rules are
in `workflows.guard`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from langchain_core.tools import BaseTool, StructuredTool
from langgraph.config import get_config
from langgraph.errors import GraphInterrupt
from langgraph.runtime import Runtime
from langgraph.types import Send, interrupt
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from auditgraph.agents import EvidenceSet, Verdict
from auditgraph.agents.calls import ModelCall
from auditgraph.store.base import RunNotFound
from auditgraph.store.chain import review_digest
from auditgraph.store.records import DecisionRecord, EscalationRecord, FinalDecision, ReviewRecord, utcnow
from auditgraph.tools import EVIDENCE_TYPES
from auditgraph.tools.case import parse_case
from auditgraph.tools.escalation import EscalationInput
from auditgraph.tools.evidence import Evidence, ToolName
from auditgraph.tools.personal_data import mask, mask_text
from auditgraph.tools.policy_retrieval import PolicyPack, RetrievedClause
from auditgraph.tools.retry import BackendUnavailable
from auditgraph.workflows import entry
from auditgraph.workflows.context import AuditContext, context_of
from auditgraph.workflows.guard import apply_guard
from auditgraph.workflows.reasons import statement_of_reasons
from auditgraph.workflows.state import AuditState, ToolTask
from auditgraph.workflows.trace_contract import (
    ADJUDICATOR,
    REVIEWER,
    FinalizeOutput,
    Kind,
    Node,
    ReviewStepOutput,
)
from auditgraph.workflows.tracing import NodeTrace

__all__ = [
    "TOOL_NODES",
    "ReviewInput",
    "adjudicate",
    "await_review",
    "escalate",
    "finalize",
    "guard",
    "intake",
    "plan",
    "review_problem",
    "review_record",
    "route_after_guard",
    "route_after_plan",
    "seller_names",
    "stale_review",
]

R = TypeVar("R", DecisionRecord, ReviewRecord)

TOOL_NODES: dict[ToolName, str] = {
    "seller_history": "check_seller_history",
    "image_check": "check_image",
    "policy_retrieval": "retrieve_policy",
    "text_screen": "screen_text",
    "brand_check": "check_brand",
    "risk_screen": "screen_risk",
}
"""The graph node that runs each evidence tool."""


def _trace(ctx: AuditContext, state: AuditState | ToolTask, node: str, input: Any = None) -> NodeTrace:
    case = state.get("case")
    case_id = case.case_id if case is not None else str(state.get("submission", {}).get("case_id", "?"))
    return NodeTrace(
        ctx.recorder,
        run_id=state["run_id"],
        case_id=case_id,
        node=node,
        input=input,
        agent=ctx.agent.kind,
        policy_version=ctx.policy_version,
    )


def intake(state: AuditState, runtime: Runtime[AuditContext]) -> dict[str, Any]:
    """Validate the submitted case; a bad case stops the run here.

    The run's id is the one given, else derived from its thread. When the graph records
    its runs itself (`AuditContext.records_runs`), the case is validated before anything is
    written and the run is recorded here, as `Auditor.audit` records it.
    """
    ctx = context_of(runtime)
    run_id = entry.run_id_for(state, get_config())
    state = {**state, "run_id": run_id}
    if ctx.records_runs:
        entry.open_run(ctx, run_id, parse_case(state["submission"]))
    with _trace(ctx, state, Node.INTAKE, {"submission": state["submission"]}) as trace:
        case = parse_case(state["submission"])
        trace.output = {
            "case_id": case.case_id,
            "kind": case.kind,
            "images": len(case.listing.images),
        }
    return {"run_id": run_id, "case": case}


def plan(state: AuditState, runtime: Runtime[AuditContext]) -> dict[str, Any]:
    """Ask the planner which evidence tools this case needs."""
    ctx = context_of(runtime)
    with _trace(ctx, state, Node.PLAN) as trace:
        started = utcnow()
        result = ctx.agent.planner.plan(state["case"])
        unknown = [c.tool for c in result.calls if c.tool not in ctx.tools]
        if unknown:
            raise ValueError(f"planner asked for unknown tools {unknown!r}")
        _record_model_calls(trace, "planner", result.model_calls)
        trace.add(
            "model",
            node="planner",
            input={"case_id": state["case"].case_id},
            output=result.model_dump(mode="json", exclude={"model_calls"}),
            started=started,
            model=ctx.agent.model or ctx.agent.kind,
            prompt_version=ctx.agent.prompt_version,
        )
        trace.output = {"tools": [c.tool for c in result.calls]}
    return {"plan": result}


def route_after_plan(state: AuditState) -> list[Send]:
    """Fan out: one task per planned tool call, run in parallel."""
    return [
        Send(TOOL_NODES[call.tool], ToolTask(run_id=state["run_id"], case=state["case"], call=call))
        for call in state["plan"].calls
    ]


def gather(task: ToolTask, runtime: Runtime[AuditContext]) -> dict[str, Any]:
    """Run one evidence tool; a recoverable failure becomes `unavailable` evidence."""
    ctx = context_of(runtime)
    call = task["call"]
    with _trace(ctx, task, TOOL_NODES[call.tool], {"tool": call.tool}) as trace:
        started = utcnow()
        try:
            evidence = _call_tool(ctx.tools[call.tool], call.args)
        except (InvalidArguments, BackendUnavailable, MalformedEvidence) as exc:
            # Arguments the planner got wrong, a backend down after its retries, or one
            # answering nonsense: the error names which, and a human decides without it.
            evidence = EVIDENCE_TYPES[call.tool](status="unavailable", error=str(exc))
        trace.add(
            "tool",
            node=call.tool,
            input=call.args,
            output=evidence,
            started=started,
            error=evidence.error if evidence.status == "unavailable" else None,
        )
        trace.output = {"status": evidence.status}
    return {"evidence": {call.tool: evidence}}


class InvalidArguments(ValueError):
    """The planner called a tool with arguments its schema refuses."""


class MalformedEvidence(RuntimeError):
    """A tool's backend answered something that is not valid evidence of its kind."""


def _call_tool(tool: BaseTool, args: dict[str, Any]) -> Evidence:
    # Validate with the tool's own schema, then call its function directly: the graph
    # records the trace itself, and LangChain's callback run (~1 ms a call) adds nothing.
    schema = tool.args_schema
    direct = isinstance(tool, StructuredTool) and tool.func is not None and isinstance(schema, type)
    try:
        validated = schema.model_validate(args) if direct else None  # type: ignore[union-attr]
    except ValidationError as exc:
        raise InvalidArguments(f"invalid arguments for {tool.name}: {_first_error(exc)}") from None
    try:
        if validated is None:
            answer = tool.invoke(args)
        else:
            answer = tool.func(**{n: getattr(validated, n) for n in type(validated).model_fields})  # type: ignore[misc]
    except ValidationError as exc:  # raised by the backend reading its own data
        raise MalformedEvidence(f"{tool.name} backend answered malformed data: {_first_error(exc)}") from None
    return _checked(tool.name, answer)


def _checked(tool: str, answer: Any) -> Evidence:
    """`answer` validated as its tool's evidence type (about 16 µs for the largest)."""
    kind = EVIDENCE_TYPES[tool]  # type: ignore[index]
    if not isinstance(answer, kind):
        raise MalformedEvidence(f"{tool} backend answered a {type(answer).__name__}, not {kind.__name__}")
    try:
        return kind.model_validate(answer.model_dump())
    except (ValidationError, TypeError) as exc:
        detail = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
        raise MalformedEvidence(f"{tool} backend answered malformed data: {detail}") from None


def _first_error(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    return f"{'.'.join(map(str, first['loc']))} {first['msg']}".strip()


def _record_model_calls(trace: NodeTrace, node: str, calls: list[ModelCall]) -> None:
    """One step per attempt, with its tokens and cost: what the model was asked and said."""
    for call in calls:
        trace.add(
            "model",
            node=node,
            input={"purpose": call.purpose},
            output=call.output,
            started=call.started,
            ended=call.ended,
            attempt=call.attempt,
            error=call.error,
            model=call.model,
            prompt_version=call.prompt_version,
            tokens_in=call.tokens_in,
            tokens_out=call.tokens_out,
            cost_usd=call.cost_usd,
        )


def adjudicate(state: AuditState, runtime: Runtime[AuditContext]) -> dict[str, Any]:
    """Ask the adjudicator for a verdict on the gathered evidence."""
    ctx = context_of(runtime)
    evidence = EvidenceSet.from_mapping(state.get("evidence", {}))
    with _trace(ctx, state, Node.ADJUDICATE, {"evidence": sorted(evidence.gathered())}) as trace:
        started = utcnow()
        verdict = ctx.agent.adjudicator.adjudicate(state["case"], evidence)
        _record_model_calls(trace, "adjudicator", verdict.model_calls)
        trace.add(
            "model",
            node=ADJUDICATOR,
            input={
                "tools": sorted(evidence.gathered()),
                "clauses": sorted(evidence.retrieved_clauses()),
            },
            output=verdict.model_dump(mode="json", exclude={"model_calls"}),
            started=started,
            model=ctx.agent.model or ctx.agent.kind,
            prompt_version=ctx.agent.prompt_version,
        )
        trace.output = {"decision": verdict.decision, "confidence": verdict.confidence}
    return {"verdict": verdict}


def guard(state: AuditState, runtime: Runtime[AuditContext]) -> dict[str, Any]:
    """Apply the rules no decider may overrule."""
    ctx = context_of(runtime)
    evidence = EvidenceSet.from_mapping(state.get("evidence", {}))
    with _trace(ctx, state, Node.GUARD) as trace:
        started = utcnow()
        outcome = apply_guard(state["verdict"], evidence, ctx.guard)
        trace.add("guard", input={"decision": state["verdict"].decision}, output=outcome, started=started)
        trace.output = {"action": outcome.action, "reasons": outcome.reasons}
    return {"guard": outcome}


def route_after_guard(state: AuditState) -> Literal["finalize", "escalate"]:
    """Finalise what the guard passed; everything else goes to a human."""
    return Node.FINALIZE if state["guard"].action == "finalize" else Node.ESCALATE


def _violation_risk(verdict: Verdict, evidence: EvidenceSet) -> float | None:
    """The probability that the case violates a policy, for ranking the queue: the risk
    screen's calibrated probability, raised to the decider's confidence when it proposed
    a reject or restrict; None when neither is known."""
    screen = evidence.risk_screen
    risk = screen.violation if screen is not None and screen.status == "ok" else None
    proposed = verdict.proposed_decision or verdict.decision
    if proposed in ("reject", "restrict"):
        risk = max(risk or 0.0, verdict.confidence)
    return risk


def escalate(state: AuditState, runtime: Runtime[AuditContext]) -> dict[str, Any]:
    """Open an escalation in the right queue (idempotent per run)."""
    ctx = context_of(runtime)
    verdict, outcome = state["verdict"], state["guard"]
    evidence = EvidenceSet.from_mapping(state.get("evidence", {}))
    seller = evidence.seller_history
    reasons = outcome.reasons or ["decider_escalated"]
    if ctx.mask_personal_data:
        # A reason may quote what the seller supplied (an image's address): the queue row
        # holds it as the trace does, masked.
        reasons = [mask_text(r) for r in reasons]
    args = EscalationInput(
        run_id=state["run_id"],
        case_id=state["case"].case_id,
        reasons=reasons,
        areas=verdict.areas,
        severity=outcome.severity,
        agent_decision=verdict.proposed_decision or verdict.decision,
        risk=_violation_risk(verdict, evidence),
        seller_strikes=seller.strikes if seller is not None and seller.status == "ok" else 0,
    )
    with _trace(ctx, state, Node.ESCALATE) as trace:
        started = utcnow()
        record = ctx.escalation_tool.invoke(args.model_dump())
        trace.add("tool", node="escalation", input=args, output=record, started=started)
        trace.output = {"queue": record.queue, "priority": record.priority, "risk": record.risk}
    return {"escalation": record}


class ReviewInput(BaseModel):
    """What a reviewer submits to resume an escalated run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reviewer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    decision: FinalDecision
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    clause_ids: list[str] = Field(default_factory=list)
    """The clauses a reject or restrict rests on; defaults to the agent's citations."""
    reviewer_role: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None
    ) = None
    """The role the reviewer acts in (their token's role), when a door authenticated them."""
    review_digest: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    """The digest of the run as the reviewer read it (`Auditor.review_digest`): a review of a
    run that changed since is refused."""


def await_review(state: AuditState, runtime: Runtime[AuditContext]) -> dict[str, Any]:
    """Pause until a reviewer decides; resumed with `Command(resume=ReviewInput-as-dict)`."""
    ctx = context_of(runtime)
    escalation = state["escalation"]
    payload = {
        "run_id": state["run_id"],
        "escalation_id": escalation.escalation_id,
        "queue": escalation.queue,
        "priority": escalation.priority,
        "reasons": escalation.reasons,
        "agent_decision": escalation.agent_decision,
    }
    try:
        return _await_review(ctx, state, escalation, payload)
    except GraphInterrupt:
        # Paused: the interrupt's step is written; a run the graph records is now closed
        # as awaiting review, as the runner closes its own.
        if ctx.records_runs:
            entry.pause_run(ctx, state["run_id"])
        raise


def _await_review(
    ctx: AuditContext, state: AuditState, escalation: EscalationRecord, payload: dict[str, Any]
) -> dict[str, Any]:
    with _trace(ctx, state, Node.AWAIT_REVIEW, payload) as trace:
        trace.add(Kind.INTERRUPT, input=payload, output={"status": "awaiting_review"})
        answer = interrupt(payload)
        trace.children.clear()
        # The runner records the review (claiming the escalation) before it resumes the
        # graph, and the review commits before this node's checkpoint: a process killed in
        # between runs the node again, and the review first recorded stands.
        recorded = [
            r for r in ctx.store.reviews(state["run_id"]) if r.escalation_id == escalation.escalation_id
        ]
        if recorded:
            ReviewInput.model_validate(answer)
            review = recorded[0]
        else:
            # A review resumed on the graph directly (the dev server) is checked as the
            # runner checks its own, before it claims the escalation; one refused asks again,
            # saying why (LangGraph replays earlier answers, so each refusal is a new interrupt).
            while (problem := _review_refused(ctx, state, answer)) is not None:
                asked = {**payload, "refused": problem}
                trace.add(Kind.INTERRUPT, input=asked, output={"status": "awaiting_review"})
                answer = interrupt(asked)
                trace.children.clear()
            # The reviewer's free text may quote the seller: their name is masked too.
            review = review_record(
                ctx,
                state["run_id"],
                escalation,
                ReviewInput.model_validate(answer),
                state["verdict"].clause_ids,
                names=seller_names(state),
            )
            ctx.store.record_review(review)
        if ctx.records_runs:
            entry.apply_review(ctx, state["run_id"])
        # The whole record rides in the chained step: `trace verify` compares the stored
        # review with it, and recovery adopts it when the checkpoint after it was lost.
        trace.add(Kind.INTERRUPT, input=payload, output=review, agent=REVIEWER)
        trace.output = ReviewStepOutput(decision=review.decision, reviewer=review.reviewer)
    return {"review": review}


def _review_refused(ctx: AuditContext, state: AuditState, answer: Any) -> str | None:
    """Why a reviewer's answer cannot be recorded, or None."""
    try:
        review_input = ReviewInput.model_validate(answer)
    except ValidationError as exc:
        return f"invalid review: {_first_error(exc)}"
    if review_input.review_digest is not None and review_input.review_digest != _digest_now(ctx, state):
        return stale_review(state["run_id"])
    return review_problem(review_input, ctx.policy, state["verdict"].clause_ids)


def _digest_now(ctx: AuditContext, state: AuditState) -> str | None:
    """The run's review digest now, or None when the store does not hold the run (a graph
    that does not record its runs): a digest sent then cannot match, so is refused."""
    try:
        run = ctx.store.get_run(state["run_id"])
    except RunNotFound:
        return None
    return review_digest(run, state["escalation"])


def stale_review(run_id: str) -> str:
    """Why a review sent with a digest the run no longer has is refused, and what to do."""
    return (
        f"run {run_id!r} changed since the reviewer read it (the review digest sent is not the run's now); "
        "read the run again and review what it says now"
    )


def review_problem(answer: ReviewInput, pack: PolicyPack, agent_clauses: list[str]) -> str | None:
    """Why a review cannot be recorded, or None: a reviewer's grounds must exist in the run's
    pack and fit the decision, as an agent's must. A reject or restrict naming no clause rests
    on the agent's citations (`agent_clauses`)."""
    unknown = [c for c in answer.clause_ids if pack.clause(c) is None]
    if unknown:
        return f"unknown clause ids {unknown!r} in policy pack {pack.version}"
    if answer.decision == "approve":
        return "an approval rests on no clause: leave out --clause" if answer.clause_ids else None
    clause_ids = answer.clause_ids or agent_clauses
    if not clause_ids:
        return f"a {answer.decision} needs the clause it rests on: the agent cited none, so name one"
    actions = {c: pack.clause(c).action for c in clause_ids}  # type: ignore[union-attr]
    if answer.decision == "reject" and "reject" not in actions.values():
        return f"{', '.join(clause_ids)} only restrict a listing; decide restrict, or name a clause that removes it"
    removing = [c for c, action in actions.items() if action == "reject"]
    if answer.decision == "restrict" and removing:
        return (
            f"{', '.join(removing)} {'removes' if len(removing) == 1 else 'remove'} the listing; "
            "decide reject, or name only clauses that restrict"
        )
    return None


def review_record(
    ctx: AuditContext,
    run_id: str,
    escalation: EscalationRecord,
    review_input: ReviewInput,
    agent_clauses: list[str],
    *,
    names: tuple[str, ...] = (),
) -> ReviewRecord:
    """The review record a reviewer's input makes, masked as the recorder masks its copy."""
    agent_decision = escalation.agent_decision
    review = ReviewRecord(
        run_id=run_id,
        escalation_id=escalation.escalation_id,
        reviewer=review_input.reviewer,
        decision=review_input.decision,
        reason=review_input.reason,
        clause_ids=_review_clauses(review_input, agent_clauses),
        agent_decision=agent_decision,
        overrode_agent=agent_decision != "escalate" and agent_decision != review_input.decision,
        reviewer_role=review_input.reviewer_role,
        review_digest=review_input.review_digest,
    )
    return _masked(ctx, review, names=names)


def _masked(ctx: AuditContext, record: R, *, names: tuple[str, ...] = ()) -> R:
    # The whole record, as the recorder masks its chained copy: the two must stay equal
    # for `trace verify` (masking is idempotent, so the recorder's pass changes nothing).
    if not ctx.mask_personal_data:
        return record
    return type(record).model_validate(mask(record.model_dump(mode="json"), extra=names))


def seller_names(state: AuditState) -> tuple[str, ...]:
    """The seller's display name, as the seller-history tool found it (if it ran)."""
    seller = EvidenceSet.from_mapping(state.get("evidence", {})).seller_history
    return (seller.display_name,) if seller is not None and seller.display_name else ()


def _review_clauses(review: ReviewInput, agent_clauses: list[str]) -> list[str]:
    if review.decision == "approve" or review.clause_ids:
        return list(review.clause_ids)
    return list(agent_clauses)


def _from_pack(ctx: AuditContext, clause_id: str) -> RetrievedClause:
    # A reviewer may rest a decision on a clause retrieval did not return for this case;
    # the seller's statement still quotes it, from the pack in force.
    clause = ctx.policy.clause(clause_id)
    if clause is None:
        raise ValueError(f"clause {clause_id!r} is not in policy pack {ctx.policy.version}")
    return RetrievedClause.of(clause, version=ctx.policy.version)


def finalize(state: AuditState, runtime: Runtime[AuditContext]) -> dict[str, Any]:
    """Build the decision record, with the statement of reasons for a takedown.

    The runner writes it together with the run's final status and last trace steps.
    """
    ctx = context_of(runtime)
    verdict, review, case = state["verdict"], state.get("review"), state["case"]
    evidence = EvidenceSet.from_mapping(state.get("evidence", {}))
    retrieved = evidence.retrieved_clauses()
    with _trace(ctx, state, Node.FINALIZE) as trace:
        if review is not None:
            decision, decided_by, clause_ids = review.decision, "reviewer", review.clause_ids
            rationale, confidence = f"Reviewer {review.reviewer}: {review.reason}", None
        else:
            decision, decided_by, clause_ids = verdict.decision, "agent", verdict.clause_ids
            rationale, confidence = verdict.rationale, verdict.confidence
        record = DecisionRecord(
            run_id=state["run_id"],
            case_id=case.case_id,
            decision=decision,  # type: ignore[arg-type]
            decided_by=decided_by,  # type: ignore[arg-type]
            clause_ids=clause_ids,
            confidence=confidence,
            rationale=rationale,
            statement_of_reasons=statement_of_reasons(
                decision=decision,
                listing_id=case.listing.listing_id,
                clauses=[retrieved.get(c) or _from_pack(ctx, c) for c in clause_ids],
                facts=rationale,
                decided_by=decided_by,
                policy_version=ctx.policy_version,
            ),
        )
        record = _masked(ctx, record, names=seller_names(state))
        trace.output = FinalizeOutput(
            decision=record.decision, decided_by=record.decided_by, clause_ids=clause_ids, record=record
        )
    if ctx.records_runs:
        entry.close_run(ctx, state["run_id"], record)
    return {"decision": record}
