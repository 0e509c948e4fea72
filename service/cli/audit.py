"""Commands that audit: `run` a case, `review` an escalated run, `recover` a run whose
process died, `erase` a seller's personal data."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Annotated, Any

import typer

from auditgraph.service.cli.common import (
    JsonFlag,
    fail,
    id_column,
    line,
    load_settings,
    opened_auditor,
    out,
    print_json,
    read_case,
    table,
    with_model,
)
from auditgraph.store import RunNotFound
from auditgraph.store.records import FinalDecision
from auditgraph.tools.case import CaseError
from auditgraph.workflows import (
    AuditFailed,
    ErasureReport,
    RecordingError,
    ReviewError,
    RunOutcome,
    erase_seller,
)

__all__ = ["erase", "recover", "review", "run"]


def run(
    case: Annotated[str, typer.Argument(help="A case JSON file, or - to read it from standard input.")],
    model: Annotated[
        str | None,
        typer.Option(
            help="rules (offline, default) or openai:MODEL (OpenAI, or AUDITGRAPH_LLM_BASE_URL's server)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Audit one case: gather evidence, decide with citations or escalate, record every step."""
    try:
        submission = read_case(case)
    except CaseError as exc:
        fail(str(exc))
    with opened_auditor(with_model(load_settings(), model)) as auditor:
        _report_outcome(lambda: auditor.audit(submission), as_json)


def review(
    run_id: Annotated[str, typer.Argument(help="The escalated run to decide.")],
    decision: Annotated[FinalDecision, typer.Option(help="The reviewer's decision.")],
    reason: Annotated[str, typer.Option(help="Why, in a sentence the seller could read.")],
    reviewer: Annotated[str, typer.Option(help="Who decides (recorded in the trace).")],
    clause: Annotated[
        list[str] | None,
        typer.Option("--clause", help="A clause the decision rests on; repeatable."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Decide an escalated run: resumes the paused graph and records who decided what."""
    settings = load_settings()
    with opened_auditor(settings) as auditor:
        try:
            outcome = auditor.review(
                run_id,
                {
                    "reviewer": reviewer,
                    "decision": decision,
                    "reason": reason,
                    "clause_ids": clause or [],
                },
            )
        except (RunNotFound, ReviewError) as exc:
            fail(str(exc))
        except (AuditFailed, RecordingError) as exc:
            fail(str(exc), code=1)
    if as_json:
        print_json(_outcome_json(outcome))
        return
    _print_outcome(outcome)
    reviews = auditor.store.reviews(run_id)
    if reviews and reviews[-1].overrode_agent:
        out.print(
            line(("override", "yellow"), f"  the agent would have decided {reviews[-1].agent_decision}")
        )


def recover(
    run_id: Annotated[
        str,
        typer.Argument(
            help="A run left `running`, or a review recorded and not applied, by a process that died."
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Finish a run whose process died mid-run: from its last checkpoint, or from its stored case;
    a run whose review was recorded but not applied is finished on that review."""
    with opened_auditor(load_settings()) as auditor:
        _report_outcome(lambda: auditor.recover(run_id), as_json)


def erase(
    seller_id: Annotated[str, typer.Argument(help="The seller whose personal data to erase.")],
    reason: Annotated[str, typer.Option(help="Why, e.g. the erasure request's reference.")],
    by: Annotated[str, typer.Option("--by", help="Who asked for it (kept in the erasure record).")],
    full_text: Annotated[
        bool,
        typer.Option(
            "--full-text", help="Also remove every text the seller wrote, not only contact details."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Erase a seller's personal data from their finished runs and checkpoints, keeping the
    decisions and a trace that still verifies (see docs/operations.md). Exit 1 if some of
    their runs are still open, or their case is under legal hold, and were left alone."""
    reason, by = reason.strip(), by.strip()
    if not reason or not by:
        fail("give a --reason and who asked for it (--by)")
    with opened_auditor(load_settings()) as auditor:
        seller = auditor.toolset.sellers.get(seller_id)
        try:
            report = erase_seller(
                auditor.store,
                auditor.graph.checkpointer,  # type: ignore[arg-type]
                seller_id,
                reason=reason,
                requested_by=by,
                names=(seller.display_name,) if seller else (),
                full_text=full_text,
                dry_run=dry_run,
            )
        except ValueError as exc:
            fail(str(exc))
    if as_json:
        print_json(dataclasses.asdict(report))
    else:
        _print_erasure(report)
    if report.open_runs or report.held_runs:
        raise typer.Exit(1)


def _report_outcome(drive: Callable[[], RunOutcome], as_json: bool) -> None:
    """Run `drive` and print its outcome; refused input exits 2, a failed run 1."""
    try:
        outcome = drive()
    except (CaseError, RunNotFound, ReviewError) as exc:
        fail(str(exc))
    except (AuditFailed, RecordingError) as exc:
        fail(str(exc), code=1)
    if as_json:
        print_json(_outcome_json(outcome))
    else:
        _print_outcome(outcome)


def _outcome_json(outcome: RunOutcome) -> dict[str, Any]:
    return {
        "run_id": outcome.run_id,
        "case_id": outcome.case_id,
        "status": outcome.status,
        "decision": outcome.decision.decision if outcome.decision else None,
        "clause_ids": (outcome.decision.clause_ids if outcome.decision else None)
        or (outcome.verdict.clause_ids if outcome.verdict else []),
        "verdict": outcome.verdict,
        "guard": outcome.guard,
        "escalation": outcome.escalation,
        "decision_record": outcome.decision,
    }


def _print_outcome(outcome: RunOutcome) -> None:
    verdict, decision, escalation = outcome.verdict, outcome.decision, outcome.escalation
    if decision is not None:
        out.print(line(("decision", "bold"), f"  {decision.decision}  (by {decision.decided_by})"))
        out.print(line(("citations", "bold"), f" {', '.join(decision.clause_ids) or '-'}"), soft_wrap=True)
        if decision.confidence is not None:
            out.print(line(("confidence", "bold"), f" {decision.confidence:.2f}"))
        out.print(line(("rationale", "bold"), f" {decision.rationale}"), soft_wrap=True)
    elif escalation is not None:
        out.print(
            line(
                ("decision", "bold"),
                f"  escalate  → queue {escalation.queue}, priority P{escalation.priority}",
            )
        )
        out.print(line(("reasons", "bold"), f"   {', '.join(escalation.reasons)}"), soft_wrap=True)
        if verdict is not None:
            out.print(
                line(
                    ("agent", "bold"),
                    f"     {verdict.decision} ({verdict.confidence:.2f}): {verdict.rationale}",
                ),
                soft_wrap=True,
            )
            out.print(line(("citations", "bold"), f" {', '.join(verdict.clause_ids) or '-'}"), soft_wrap=True)
    out.print(line(("run", "bold"), f"       {outcome.run_id}  ({outcome.status})"))
    if outcome.status == "awaiting_review":
        out.print(
            line(
                (
                    f"review with: auditgraph review {outcome.run_id} --decision approve|reject|restrict "
                    "--reason '...' --reviewer NAME",
                    "dim",
                )
            ),
            soft_wrap=True,
        )


def _print_erasure(report: ErasureReport) -> None:
    if not report.runs:
        out.print(line((f"no runs name seller {report.seller_id}", "dim")))
        return
    rows = table(id_column("run"), "case", "status", "outcome", "steps changed", "case copy")
    for r in report.runs:
        rows.add_row(
            r.run_id,
            r.case_id,
            r.status,
            r.outcome,
            str(r.steps_changed),
            "erased" if r.case_changed else "-",
        )
    out.print(rows)
    verb = "would be erased" if report.dry_run else "erased"
    done = sum(r.outcome == "erased" for r in report.runs)
    out.print(f"{done} run(s) {verb}; decisions kept; checkpoints of finished runs deleted")
    if report.open_runs:
        out.print(
            line(
                (
                    f"{len(report.open_runs)} run(s) still open were left alone: "
                    "erase again after they are reviewed or recovered",
                    "yellow",
                )
            )
        )
    if report.held_runs:
        out.print(
            line(
                (
                    f"{len(report.held_runs)} run(s) of cases under legal hold were left alone: "
                    "erase again once the hold is released (`auditgraph hold list`)",
                    "yellow",
                )
            )
        )
