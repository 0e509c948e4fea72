"""The `auditgraph` command: audit a case, list runs, read a trace, work the queue.

Exit codes: 0 done (decided or escalated), 1 the run failed or could not be recorded,
2 the input was refused (bad case file, unknown run, invalid review).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from auditgraph.service.settings import MODEL_PATTERN, Settings
from auditgraph.service.wiring import open_auditor, open_store
from auditgraph.store import AuditStore, RunNotFound, StoreError, TraceStep, sqlite_path
from auditgraph.store.chain import verify_run
from auditgraph.store.records import FinalDecision, RunStatus
from auditgraph.tools import BundledPaths
from auditgraph.tools.brand_check import BrandRegistryError
from auditgraph.tools.case import CaseError, case_json_schema
from auditgraph.tools.escalation import QUEUES
from auditgraph.tools.image_check import build_hash_bank
from auditgraph.tools.personal_data import MaskingFilter
from auditgraph.tools.policy_retrieval import PolicyPackError
from auditgraph.tools.text_screen import LexiconError
from auditgraph.workflows import (
    AuditFailed,
    Auditor,
    ErasureReport,
    RecordingError,
    ReviewError,
    RunOutcome,
    erase_seller,
)
from auditgraph.workflows.tracing import to_json

__all__ = ["MAX_CASE_BYTES", "app", "read_case"]

MAX_CASE_BYTES = 16 * 1024 * 1024
"""Largest case file read; larger input is refused before parsing."""

app = typer.Typer(
    name="auditgraph",
    help="Audit marketplace moderation cases: evidence tools, cited decisions, human escalation, full traces.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
if not out.is_terminal:
    # Piped into a file or another tool: do not squeeze tables into 80 columns.
    out = Console(highlight=False, width=200)
err = Console(stderr=True, highlight=False)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def _with_model(settings: Settings, model: str | None) -> Settings:
    """`settings` with `--model` applied, refusing a name or a missing key in one line."""
    if model is not None:
        if not MODEL_PATTERN.fullmatch(model):
            _fail(f"--model {model!r}: use rules or openai:MODEL, e.g. openai:gpt-4o-mini")
        settings = settings.model_copy(update={"model": model})
    if settings.model != "rules" and settings.llm_base_url is None and settings.llm_api_key is None:
        _fail(f"--model {settings.model} needs OPENAI_API_KEY, or AUDITGRAPH_LLM_BASE_URL for a local server")
    return settings


def _settings() -> Settings:
    try:
        return Settings()
    except (ValidationError, SettingsError) as exc:
        _fail(f"configuration error: {_first_line(exc)}; see docs/configuration.md")


@contextmanager
def _opened(settings: Settings) -> Iterator[Auditor]:
    """The auditor, or one line saying which setting or file stops it from opening."""
    with _setup_errors(settings):
        stack = ExitStack()
        auditor = stack.enter_context(open_auditor(settings))
    with stack:
        yield auditor


def _store(settings: Settings) -> AuditStore:
    with _setup_errors(settings):
        return open_store(settings)


@contextmanager
def _setup_errors(settings: Settings) -> Iterator[None]:
    where = _safe_url(settings.database_url)
    try:
        yield
    except (ArgumentError, NoSuchModuleError) as exc:
        _fail(f"AUDITGRAPH_DATABASE_URL {where} is not a usable database URL ({_first_line(exc)})")
    except ImportError as exc:
        _fail(f"no driver for {where}: {exc.name or exc}; see docs/configuration.md")
    except OSError as exc:
        if exc.filename and Path(str(exc.filename)).is_relative_to(settings.data_dir):
            _fail(f"bundled data missing: {exc.filename} (AUDITGRAPH_DATA_DIR is {str(settings.data_dir)!r})")
        _fail(f"cannot open the database {where}: {_first_line(exc)}", code=1)
    except OperationalError as exc:
        _fail(f"cannot open the database {where}: {_first_line(exc)}", code=1)
    except StoreError as exc:
        _fail(f"cannot use the database {where}: {_first_line(exc)}", code=1)
    except (PolicyPackError, LexiconError, BrandRegistryError) as exc:
        _fail(f"bundled data under {str(settings.data_dir)!r} is unusable: {_first_line(exc)}")


def _safe_url(url: str) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return repr(url)
    shown = repr(parsed.render_as_string(hide_password=True))
    path = sqlite_path(url)
    return f"{shown} ({path.resolve()})" if path is not None and not path.is_absolute() else shown


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _table(*columns: str | Column) -> Table:
    # Fold long cells instead of cutting them: a truncated queue name or reason misleads.
    return Table(*(c if isinstance(c, Column) else Column(c, overflow="fold") for c in columns))


def _id_column(header: str) -> Column:
    # Ids are what a reviewer copies into the next command: never cut or wrap them.
    return Column(header, no_wrap=True, min_width=20, overflow="fold")


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_json(value), indent=2, ensure_ascii=False) + "\n")


def read_case(source: str) -> dict[str, Any]:
    """Read a case file (or `-` for stdin) as a JSON object.

    Raises:
        CaseError: unreadable, too large, not UTF-8 or not JSON, with a one-line reason.
    """
    name = "standard input" if source == "-" else repr(source)
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_CASE_BYTES + 1)
        else:
            path = Path(source)
            if path.is_dir():
                raise CaseError(f"{name} is a folder; give a case .json file")
            with path.open("rb") as handle:
                raw = handle.read(MAX_CASE_BYTES + 1)
    except FileNotFoundError:
        raise CaseError(f"no case file at {name}") from None
    except OSError as exc:
        raise CaseError(f"cannot read {name}: {exc.strerror or exc}") from None
    if len(raw) > MAX_CASE_BYTES:
        raise CaseError(
            f"{name} is larger than {MAX_CASE_BYTES // (1024 * 1024)} MB; a case is a small JSON file"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseError(f"{name} is not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise CaseError(f"{name} is empty; expected a case as a JSON object")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise CaseError(f"{name} nests too deeply to be a case") from None
    if not isinstance(value, dict):
        raise CaseError(f"{name} holds a JSON {type(value).__name__}; a case is a JSON object")
    return value


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
        out.print(f"[bold]decision[/]  {decision.decision}  (by {decision.decided_by})")
        out.print(f"[bold]citations[/] {', '.join(decision.clause_ids) or '-'}")
        if decision.confidence is not None:
            out.print(f"[bold]confidence[/] {decision.confidence:.2f}")
        out.print(f"[bold]rationale[/] {decision.rationale}", soft_wrap=True)
    elif escalation is not None:
        out.print(f"[bold]decision[/]  escalate  → queue {escalation.queue}, priority P{escalation.priority}")
        out.print(f"[bold]reasons[/]   {', '.join(escalation.reasons)}")
        if verdict is not None:
            out.print(
                f"[bold]agent[/]     {verdict.decision} ({verdict.confidence:.2f}): {verdict.rationale}",
                soft_wrap=True,
            )
            out.print(f"[bold]citations[/] {', '.join(verdict.clause_ids) or '-'}")
    out.print(f"[bold]run[/]       {outcome.run_id}  ({outcome.status})")
    if outcome.status == "awaiting_review":
        out.print(
            f"[dim]review with: auditgraph review {outcome.run_id} --decision approve|reject|restrict "
            "--reason '...' --reviewer NAME[/]",
            soft_wrap=True,
        )


def _report_outcome(drive: Callable[[], RunOutcome], as_json: bool) -> None:
    """Run `drive` and print its outcome; refused input exits 2, a failed run 1."""
    try:
        outcome = drive()
    except (CaseError, RunNotFound, ReviewError) as exc:
        _fail(str(exc))
    except (AuditFailed, RecordingError) as exc:
        _fail(str(exc), code=1)
    if as_json:
        _print_json(_outcome_json(outcome))
    else:
        _print_outcome(outcome)


@app.command()
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
        _fail(str(exc))
    with _opened(_with_model(_settings(), model)) as auditor:
        _report_outcome(lambda: auditor.audit(submission), as_json)


@app.command()
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
    settings = _settings()
    with _opened(settings) as auditor:
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
            _fail(str(exc))
        except (AuditFailed, RecordingError) as exc:
            _fail(str(exc), code=1)
    if as_json:
        _print_json(_outcome_json(outcome))
        return
    _print_outcome(outcome)
    reviews = auditor.store.reviews(run_id)
    if reviews and reviews[-1].overrode_agent:
        out.print(f"[yellow]override[/]  the agent would have decided {reviews[-1].agent_decision}")


@app.command()
def recover(
    run_id: Annotated[str, typer.Argument(help="A run left `running` by a process that died.")],
    as_json: JsonFlag = False,
) -> None:
    """Finish a run whose process died mid-run: from its last checkpoint, or from its stored case."""
    with _opened(_settings()) as auditor:
        _report_outcome(lambda: auditor.recover(run_id), as_json)


@app.command()
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
    their runs are still open and were left alone."""
    reason, by = reason.strip(), by.strip()
    if not reason or not by:
        _fail("give a --reason and who asked for it (--by)")
    with _opened(_settings()) as auditor:
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
            _fail(str(exc))
    if as_json:
        _print_json(dataclasses.asdict(report))
    else:
        _print_erasure(report)
    if report.open_runs:
        raise typer.Exit(1)


def _print_erasure(report: ErasureReport) -> None:
    if not report.runs:
        out.print(f"[dim]no runs name seller {escape(report.seller_id)}[/]")
        return
    table = _table(_id_column("run"), "case", "status", "outcome", "steps changed", "case copy")
    for r in report.runs:
        table.add_row(
            r.run_id,
            r.case_id,
            r.status,
            r.outcome,
            str(r.steps_changed),
            "erased" if r.case_changed else "-",
        )
    out.print(table)
    verb = "would be erased" if report.dry_run else "erased"
    done = sum(r.outcome == "erased" for r in report.runs)
    out.print(f"{done} run(s) {verb}; decisions kept; checkpoints of finished runs deleted")
    if report.open_runs:
        out.print(
            f"[yellow]{len(report.open_runs)} run(s) still open were left alone: "
            "erase again after they are reviewed or recovered[/]"
        )


@app.command()
def runs(
    status: Annotated[RunStatus | None, typer.Option(help="Only runs in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many, newest first.")] = 30,
    as_json: JsonFlag = False,
) -> None:
    """List recent runs, newest first."""
    settings = _settings()
    found = _store(settings).list_runs(limit=limit, status=status)
    if as_json:
        _print_json(found)
        return
    if not found:
        out.print(
            f"[dim]no runs{f' with status {status}' if status else ''} in {_safe_url(settings.database_url)}[/]"
        )
        return
    table = _table(_id_column("run"), "case", "kind", "status", "decision", "agent", "started (UTC)")
    for r in found:
        table.add_row(
            r.run_id,
            r.case_id,
            r.case_kind,
            r.status,
            r.decision or "-",
            r.agent,
            f"{r.started:%Y-%m-%d %H:%M:%S}",
        )
    out.print(table)


@app.command()
def trace(
    run_id: Annotated[str, typer.Argument(help="The run to show, or `verify` to check runs' hash chains.")],
    target: Annotated[str | None, typer.Argument(help="With verify: the run to check.")] = None,
    all_runs: Annotated[bool, typer.Option("--all", help="With verify: check every run.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show a run's step timeline (every node, tool call, decider call, guard check and review),
    or `trace verify RUN_ID|--all` to recompute hash chains and name the first tampered record."""
    store = _store(_settings())
    if run_id == "verify":
        _verify(store, target, all_runs, as_json)
        return
    try:
        run_record = store.get_run(run_id)
    except RunNotFound as exc:
        _fail(str(exc))
    steps = store.steps(run_id)
    decisions, reviews, escalation = (
        store.decisions(run_id),
        store.reviews(run_id),
        store.escalation(run_id),
    )
    if as_json:
        _print_json(
            {
                "run": run_record,
                "steps": steps,
                "escalation": escalation,
                "reviews": reviews,
                "decisions": decisions,
            }
        )
        return
    out.print(
        f"[bold]{run_record.run_id}[/]  case {run_record.case_id} ({run_record.case_kind})  "
        f"status {run_record.status}  agent {run_record.agent_version}  policy {run_record.policy_version}"
    )
    table = _table("#", "+ms", "step", "kind", "ms", "result")
    origin = steps[0].started if steps else run_record.started
    for s in steps:
        indent = "  " if s.parent_id else ""
        table.add_row(
            str(s.seq),
            f"{(s.started - origin).total_seconds() * 1000:.1f}",
            indent + s.node,
            s.kind,
            f"{s.duration_ms:.2f}",
            _summary(s),
        )
    out.print(table)
    tokens_in = sum(s.tokens_in or 0 for s in steps)
    tokens_out = sum(s.tokens_out or 0 for s in steps)
    if tokens_in or tokens_out:
        priced = [s.cost_usd for s in steps if s.cost_usd is not None]
        cost = f", cost ${sum(priced):.6f}" if priced else ", cost unknown (no price for the model)"
        attempts = sum(1 for s in steps if s.kind == "model" and s.input and "purpose" in s.input)
        out.print(
            f"[bold]model[/]      {attempts} call attempt(s), {tokens_in} tokens in, {tokens_out} out{cost}"
        )
    if escalation is not None:
        out.print(
            f"[bold]escalation[/] {escalation.escalation_id} queue {escalation.queue} P{escalation.priority} "
            f"({escalation.status}): {', '.join(escalation.reasons)}"
        )
    for r in reviews:
        flag = " [yellow](override)[/]" if r.overrode_agent else ""
        out.print(
            f"[bold]review[/]     {r.reviewer}: {r.decision}{flag} (agent: {r.agent_decision}) — {r.reason}"
        )
    for d in decisions:
        out.print(
            f"[bold]decision[/]   {d.decision} by {d.decided_by}; clauses {', '.join(d.clause_ids) or '-'}"
        )
        if d.statement_of_reasons:
            out.print(f"[dim]{d.statement_of_reasons}[/]", soft_wrap=True)


def _verify(store: AuditStore, run_id: str | None, all_runs: bool, as_json: bool) -> None:
    if (run_id is None) == (not all_runs):
        _fail("say which: auditgraph trace verify RUN_ID, or auditgraph trace verify --all")
    try:
        runs = store.list_runs(limit=10**9) if all_runs else [store.get_run(run_id)]  # type: ignore[arg-type]
    except RunNotFound as exc:
        _fail(str(exc))
    results = [
        verify_run(run, store.steps(run.run_id), store.decisions(run.run_id), store.reviews(run.run_id))
        for run in runs
    ]
    bad = [r for r in results if not r.ok]
    if as_json:
        _print_json([r._asdict() for r in results])
    else:
        for r in results:
            if r.ok:
                out.print(f"[green]ok[/]       {r.run_id}  {r.steps} steps  head {r.head}")
            else:
                out.print(f"[red]TAMPERED[/] {r.run_id}: {r.problems[0]}", soft_wrap=True)
                for more in r.problems[1:]:
                    out.print(f"         {more}", soft_wrap=True)
        out.print(f"{len(results) - len(bad)} of {len(results)} run(s) verify")
    if bad:
        raise typer.Exit(1)


def _summary(step: TraceStep) -> str:
    if step.error:
        return f"[red]error: {step.error}[/]"
    output = step.output or {}
    if step.kind == "tool" and step.node != "escalation":
        return f"status {output.get('status', '?')}" + _tool_detail(step.node, output)
    if step.kind == "model" and step.input and "purpose" in step.input:
        usage = f"{step.tokens_in or 0}+{step.tokens_out or 0} tokens"
        cost = f", ${step.cost_usd:.6f}" if step.cost_usd is not None else ""
        return f"{step.input['purpose']} attempt {step.attempt} ({step.model}): {usage}{cost}"
    if step.kind == "model" and "decision" in output:
        return f"{output['decision']} ({output.get('confidence', 0):.2f}) cites {', '.join(output.get('clause_ids', [])) or '-'}"
    if step.kind == "guard":
        return f"{output.get('action')} {', '.join(output.get('reasons', []))}".strip()
    if step.kind == "recovery":
        return f"recovered from the {output.get('from')} after {output.get('steps_kept')} kept step(s)"
    if step.kind == "erasure":
        meta = step.input or {}
        return (
            f"personal data erased from {len(output.get('steps', {}))} step(s) and the case copy; "
            f"asked by {meta.get('requested_by')}: {meta.get('reason')}"
        )
    if step.kind == "interrupt":
        if "reviewer" in output:
            return f"reviewer {output['reviewer']} decided {output.get('decision')}"
        return "paused: awaiting review"
    return ", ".join(f"{k}={v}" for k, v in output.items() if not isinstance(v, dict | list))[:120]


def _tool_detail(tool: str, output: dict[str, Any]) -> str:
    if tool == "text_screen":
        terms = [f"{f.get('term')} ({f.get('field')})" for f in output.get("findings", [])]
        return f"; findings {', '.join(terms)}" if terms else "; no findings"
    if tool == "policy_retrieval":
        return f"; {len(output.get('clauses', []))} clauses"
    if tool == "image_check":
        parts = [
            f"{i.get('ref')}: {i.get('status')}{' match' if i.get('matches') else ''}"
            for i in output.get("images", [])
        ]
        return f"; {'; '.join(parts)}" if parts else "; no images"
    if tool == "seller_history":
        return f"; strikes {output.get('strikes')}, age {output.get('account_age_days')} d"
    if tool == "brand_check" and output.get("brands"):
        return f"; brands {', '.join(output['brands'])}, price ratio {output.get('price_ratio')}"
    return ""


@app.command()
def queue(
    name: Annotated[str | None, typer.Option("--queue", help="Only this queue.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List open escalations, most urgent first."""
    if name is not None and name not in QUEUES:
        _fail(f"no queue {name!r}; queues are {', '.join(QUEUES)}")
    settings = _settings()
    found = _store(settings).open_escalations(queue=name)
    if as_json:
        _print_json(found)
        return
    if not found:
        out.print(f"[dim]no open escalations in {_safe_url(settings.database_url)}[/]")
        return
    table = _table(_id_column("run"), "case", "queue", "prio", "agent", "reasons", "opened (UTC)")
    for e in found:
        table.add_row(
            e.run_id,
            e.case_id,
            e.queue,
            f"P{e.priority}",
            e.agent_decision,
            ", ".join(e.reasons),
            f"{e.opened_at:%m-%d %H:%M}",
        )
    out.print(table)


@app.command("build-bank")
def build_bank() -> None:
    """Recompute the PDQ hash bank from the images listed in data/images/manifest.json."""
    paths = BundledPaths(_settings().data_dir)
    manifest = paths.images / "manifest.json"
    try:
        bank = build_hash_bank(manifest)
    except (OSError, KeyError, ValueError) as exc:
        _fail(f"cannot build the hash bank from {str(manifest)!r}: {exc}")
    paths.hash_bank.write_text(bank.model_dump_json(indent=1) + "\n", "utf-8")
    out.print(
        f"wrote {len(bank.entries)} bank entries and {len(bank.sightings)} sightings to {paths.hash_bank}"
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema every case file must satisfy."""
    _print_json(case_json_schema())


def _configure_logging() -> None:
    # Logs are never part of the audit record, so they never carry personal data, whatever
    # AUDITGRAPH_MASK_PERSONAL_DATA says.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.WARNING)  # some libraries set DEBUG on their own loggers
    handler.addFilter(MaskingFilter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)


def main() -> None:
    """Entry point for `python -m service.cli` and the `auditgraph` command."""
    _configure_logging()
    app()


if __name__ == "__main__":
    main()


def _register_eval() -> None:
    from auditgraph.service.eval_cli import eval_app

    app.add_typer(eval_app, name="eval")


_register_eval()
