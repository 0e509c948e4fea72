"""Commands that read: `runs`, `trace` (and `trace verify`), `queue`, `schema`, and
`build-bank`, which rebuilds the bundled hash bank from its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from auditgraph.service.cli.common import (
    JsonFlag,
    fail,
    id_column,
    line,
    load_settings,
    opened_store,
    out,
    print_json,
    table,
    visible,
)
from auditgraph.service.cli.log import read_export
from auditgraph.service.database import describe_url
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import trusted_keys
from auditgraph.store import AuditStore, RunNotFound, SqlAuditStore, TraceStep
from auditgraph.store.integrity import LOG, RunCheck, compare_export, verify_store
from auditgraph.store.records import EscalationRecord, ReviewRecord, RunStatus
from auditgraph.store.signing import SigningKeyError
from auditgraph.tools import BundledPaths
from auditgraph.tools.case import case_json_schema
from auditgraph.tools.escalation import QUEUES
from auditgraph.tools.image_check import build_hash_bank
from auditgraph.tools.policy_pack import Clause, PolicyLibrary, PolicyPackError

__all__ = ["build_bank", "queue", "runs", "schema", "trace"]


def runs(
    status: Annotated[RunStatus | None, typer.Option(help="Only runs in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many, newest first.")] = 30,
    as_json: JsonFlag = False,
) -> None:
    """List recent runs, newest first."""
    settings = load_settings()
    found = opened_store(settings).list_runs(limit=limit, status=status)
    if as_json:
        print_json(found)
        return
    if not found:
        where = describe_url(settings.database_url)
        out.print(line((f"no runs{f' with status {status}' if status else ''} in {where}", "dim")))
        return
    rows = table(id_column("run"), "case", "kind", "status", "decision", "agent", "started (UTC)")
    for r in found:
        rows.add_row(
            r.run_id,
            r.case_id,
            r.case_kind,
            r.status,
            r.decision or "-",
            r.agent,
            f"{r.started:%Y-%m-%d %H:%M:%S}",
        )
    out.print(rows)


def trace(
    run_id: Annotated[str, typer.Argument(help="The run to show, or `verify` to check runs' hash chains.")],
    target: Annotated[str | None, typer.Argument(help="With verify: the run to check.")] = None,
    all_runs: Annotated[bool, typer.Option("--all", help="With verify: check every run.")] = False,
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key", help="With verify: a public key (PEM file or folder) to trust; repeatable."
        ),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against", help="With verify: also compare the log with this export (`auditgraph log export`)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show a run's step timeline (every node, tool call, decider call, guard check and review),
    and the clauses its decisions rest on as the run's own policy pack words them;
    or `trace verify RUN_ID|--all` to recompute hash chains, compare the run and escalation
    rows and the signed log of run heads with them, and name every tampered record."""
    settings = load_settings()
    store = opened_store(settings)
    if run_id == "verify":
        _verify(settings, store, target, all_runs, public_key, against, as_json)
        return
    try:
        run_record = store.get_run(run_id)
    except RunNotFound as exc:
        fail(str(exc))
    steps = store.steps(run_id)
    decisions, reviews, escalation = (
        store.decisions(run_id),
        store.reviews(run_id),
        store.escalation(run_id),
    )
    cited = list(dict.fromkeys(c for record in [*reviews, *decisions] for c in record.clause_ids))
    grounds, missing = _grounds(settings.data_dir, run_record.policy_version, cited)
    if as_json:
        print_json(
            {
                "run": run_record,
                "steps": steps,
                "escalation": escalation,
                "reviews": reviews,
                "decisions": decisions,
                "clauses": {
                    "policy_version": run_record.policy_version,
                    "found": grounds,
                    "problem": missing,
                },
            }
        )
        return
    out.print(
        line(
            (run_record.run_id, "bold"),
            f"  case {run_record.case_id} ({run_record.case_kind})  status {run_record.status}  "
            f"agent {run_record.agent_version}  policy {run_record.policy_version}",
        ),
        soft_wrap=True,
    )
    rows = table("#", "+ms", "step", "kind", "ms", "result")
    origin = steps[0].started if steps else run_record.started
    for s in steps:
        indent = "  " if s.parent_id else ""
        rows.add_row(
            str(s.seq),
            f"{(s.started - origin).total_seconds() * 1000:.1f}",
            indent + s.node,
            s.kind,
            f"{s.duration_ms:.2f}",
            _summary(s),
        )
    out.print(rows)
    _image_text(steps)
    tokens_in = sum(s.tokens_in or 0 for s in steps)
    tokens_out = sum(s.tokens_out or 0 for s in steps)
    if tokens_in or tokens_out:
        priced = [s.cost_usd for s in steps if s.cost_usd is not None]
        cost = f", cost ${sum(priced):.6f}" if priced else ", cost unknown (no price for the model)"
        attempts = sum(1 for s in steps if s.kind == "model" and s.input and "purpose" in s.input)
        out.print(
            line(
                ("model", "bold"),
                f"      {attempts} call attempt(s), {tokens_in} tokens in, {tokens_out} out{cost}",
            )
        )
    if escalation is not None:
        out.print(
            line(
                ("escalation", "bold"),
                f" {escalation.escalation_id} queue {escalation.queue} P{escalation.priority} "
                f"({escalation.status}): {', '.join(escalation.reasons)}",
            ),
            soft_wrap=True,
        )
    for r in reviews:
        out.print(
            line(
                ("review", "bold"),
                f"     {r.reviewer}: {r.decision}",
                (" (override)" if r.overrode_agent else "", "yellow"),
                f" (agent: {r.agent_decision}) — {r.reason}",
            ),
            soft_wrap=True,
        )
    for d in decisions:
        out.print(
            line(
                ("decision", "bold"),
                f"   {d.decision} by {d.decided_by}; clauses {', '.join(d.clause_ids) or '-'}",
            ),
            soft_wrap=True,
        )
        if d.statement_of_reasons:
            out.print(Text(visible(d.statement_of_reasons, lines=True), style="dim"), soft_wrap=True)
    for clause in grounds.values():
        dsa = f"; DSA {clause.dsa_category}" if clause.dsa_category else ""
        out.print(
            line(
                ("clause", "bold"),
                f"     {clause.id} {clause.title} ({clause.area}, {clause.severity}, "
                f"{clause.action}; policy {run_record.policy_version}{dsa})",
            ),
            soft_wrap=True,
        )
    if missing:
        out.print(line(("clauses", "yellow"), f"    {missing}"), soft_wrap=True)


def _grounds(data_dir: Path, version: str, clause_ids: list[str]) -> tuple[dict[str, Clause], str | None]:
    """The clauses `clause_ids` as policy pack `version` words them, and what kept any back."""
    if not clause_ids:
        return {}, None
    try:
        pack = PolicyLibrary(BundledPaths(data_dir).policy_dir).pack(version)
    except PolicyPackError as exc:
        return {}, str(exc)
    found = {c: clause for c in clause_ids if (clause := pack.clause(c)) is not None}
    unknown = [c for c in clause_ids if c not in found]
    return found, f"not in policy pack {version}: {', '.join(unknown)}" if unknown else None


def _verify(
    settings: Settings,
    store: AuditStore,
    run_id: str | None,
    all_runs: bool,
    public_keys: list[Path] | None,
    against: Path | None,
    as_json: bool,
) -> None:
    if (run_id is None) == (not all_runs):
        fail("say which: auditgraph trace verify RUN_ID, or auditgraph trace verify --all")
    if not isinstance(store, SqlAuditStore):
        fail("trace verify needs the SQL audit store")
    try:
        trusted = trusted_keys(settings, public_keys)
    except SigningKeyError as exc:
        fail(str(exc))
    if not trusted.keys and store.log_entries():
        fail(
            "no public key to verify the log's signatures with: pass --public-key FILE, "
            "or set AUDITGRAPH_TRUSTED_KEYS or AUDITGRAPH_SIGNING_KEY_FILE"
        )
    results = verify_store(store, run_id=None if all_runs else run_id, trusted=trusted)
    if against is not None:
        exported = read_export(against)
        problems = compare_export(exported, store.log_entries())
        if problems:
            results.append(RunCheck(f"{LOG} vs {against}", False, len(exported), "", problems))
    bad = [r for r in results if not r.ok]
    if as_json:
        print_json([r._asdict() for r in results])
    else:
        for r in results:
            if r.ok and r.deleted:
                out.print(
                    line(("ok", "green"), f"       {r.run_id}  deleted by retention, as the signed log says")
                )
            elif r.ok:
                what = "entries" if r.run_id == LOG else "steps"
                out.print(line(("ok", "green"), f"       {r.run_id}  {r.steps} {what}  head {r.head}"))
            else:
                out.print(line(("TAMPERED", "red"), f" {r.run_id}: {r.problems[0]}"), soft_wrap=True)
                for more in r.problems[1:]:
                    out.print(line(f"         {more}"), soft_wrap=True)
        runs_checked = [r for r in results if not r.run_id.startswith(LOG)]
        out.print(
            f"{sum(r.ok for r in runs_checked)} of {len(runs_checked)} run(s) verify"
            + (
                ""
                if all(r.ok for r in results if r.run_id.startswith(LOG))
                else "; the log of run heads does not"
            )
        )
    if bad:
        raise typer.Exit(1)


def _summary(step: TraceStep) -> str | Text:
    if step.error:
        return line((f"error: {step.error}", "red"))
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
    if step.kind == "start":
        return f"case committed: digest {str(output.get('case_digest'))[:16]}…, policy {output.get('policy_version')}"
    if step.kind == "recovery":
        return f"recovered from the {output.get('from')} after {output.get('steps_kept')} kept step(s)"
    if step.kind == "erasure":
        meta = step.input or {}
        return (
            f"personal data erased from {len(output.get('steps', {}))} step(s) and the case copy; "
            f"asked by {meta.get('requested_by')}: {meta.get('reason')}"
        )
    if step.kind == "hold":
        meta = step.input or {}
        verb = "legal hold set" if output.get("held") else "legal hold released"
        return f"{verb} by {meta.get('by')}: {meta.get('reason')}"
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
            f"{i.get('ref')}: {i.get('status')}{' match' if i.get('matches') else ''}{_ocr_brief(i.get('ocr'))}"
            for i in output.get("images", [])
        ]
        return f"; {'; '.join(parts)}" if parts else "; no images"
    if tool == "seller_history":
        return f"; strikes {output.get('strikes')}, age {output.get('account_age_days')} d"
    if tool == "risk_screen" and output.get("violation") is not None:
        areas = ", ".join(f"{a.get('area')} {a.get('probability'):.3f}" for a in output.get("areas", [])[:3])
        return (
            f"; violation {output['violation']:.3f}, areas {areas}; "
            f"screen {output.get('version')} sha256 {str(output.get('sha256'))[:12]}"
        )
    if tool == "brand_check" and output.get("brands"):
        return f"; brands {', '.join(output['brands'])}, price ratio {output.get('price_ratio')}"
    return ""


def _ocr_brief(ocr: Any) -> str:
    if not isinstance(ocr, dict):
        return ""
    if ocr.get("status") != "ok":
        return ", text unread"
    findings = ocr.get("findings") or []
    terms = f" ({', '.join(str(f.get('term')) for f in findings)})" if findings else ""
    return f", text {len(ocr.get('lines') or [])} line(s), {len(findings)} finding(s){terms}"


def _image_text(steps: list[TraceStep]) -> None:
    """What was read in each listing image, as read, and what the text screen found in it."""
    for step in steps:
        if step.kind != "tool" or step.node != "image_check" or not isinstance(step.output, dict):
            continue
        for image in step.output.get("images", []):
            ocr = image.get("ocr")
            if not isinstance(ocr, dict):
                continue
            scale = f", scaled {ocr.get('scale')}x" if ocr.get("scale") not in (None, 1.0) else ""
            out.print(
                line(("image text", "bold"), f" {image.get('ref')} ({ocr.get('engine')}{scale})"),
                soft_wrap=True,
            )
            if ocr.get("status") != "ok":
                out.print(line("           ", (f"unread: {ocr.get('error')}", "red")), soft_wrap=True)
                continue
            read = _one_line(ocr.get("text"))
            out.print(line(f"           read     {read or '(no text)'}"), soft_wrap=True)
            for f in ocr.get("findings") or []:
                area = f", {f.get('area')}" if f.get("area") else ""
                out.print(
                    line(
                        f"           finding  {f.get('kind')} {f.get('term')!r}{area}, weight {f.get('weight')}: "
                        f'"{_one_line(f.get("raw_excerpt"))}"'
                    ),
                    soft_wrap=True,
                )


def _one_line(text: Any) -> str:
    """Lines read from an image, joined with " / " for one line of output."""
    return " / ".join(line.strip() for line in str(text or "").splitlines() if line.strip())


def queue(
    name: Annotated[str | None, typer.Option("--queue", help="Only this queue.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List open escalations: most urgent first, then the riskiest, then the oldest."""
    if name is not None and name not in QUEUES:
        fail(f"no queue {name!r}; queues are {', '.join(QUEUES)}")
    settings = load_settings()
    store = opened_store(settings)
    found = store.open_escalations(queue=name)
    unapplied = _reviews_not_applied(store, name)
    if as_json:
        print_json(found)
        return
    if not found:
        out.print(line((f"no open escalations in {describe_url(settings.database_url)}", "dim")))
    else:
        rows = table(id_column("run"), "case", "queue", "prio", "risk", "agent", "reasons", "opened (UTC)")
        for e in found:
            rows.add_row(
                e.run_id,
                e.case_id,
                e.queue,
                f"P{e.priority}",
                "-" if e.risk is None else f"{e.risk:.2f}",
                e.agent_decision,
                ", ".join(e.reasons),
                f"{e.opened_at:%m-%d %H:%M}",
            )
        out.print(rows)
    if unapplied:
        out.print(
            line(
                ("review recorded, not applied", "yellow"),
                " (the review's process stopped, or is still applying it; if it stopped, finish with recover):",
            )
        )
        rows = table(
            id_column("run"), "case", "queue", "decision", "reviewer", "recorded (UTC)", "finish with"
        )
        for escalation, review in unapplied:
            rows.add_row(
                escalation.run_id,
                escalation.case_id,
                escalation.queue,
                review.decision if review else "-",
                Text(review.reviewer) if review else "-",
                f"{review.created_at:%m-%d %H:%M}" if review else "-",
                f"auditgraph recover {escalation.run_id}",
            )
        out.print(rows)


def _reviews_not_applied(
    store: AuditStore, queue_name: str | None
) -> list[tuple[EscalationRecord, ReviewRecord | None]]:
    """Runs whose escalation a recorded review resolved but which it has not finished: the
    review's process stopped before applying it (still awaiting review), or while applying
    it (running), unless it is being applied right now."""
    found = []
    runs = [
        r for status in ("awaiting_review", "running") for r in store.list_runs(limit=100_000, status=status)
    ]  # type: ignore[arg-type]
    for run in runs:
        escalation = store.escalation(run.run_id)
        if escalation is None or escalation.status == "open":
            continue
        if queue_name is not None and escalation.queue != queue_name:
            continue
        reviews = [r for r in store.reviews(run.run_id) if r.escalation_id == escalation.escalation_id]
        if run.status == "running" and not reviews:
            continue
        found.append((escalation, reviews[0] if reviews else None))
    return found


def build_bank() -> None:
    """Recompute the PDQ hash bank from the images listed in data/images/manifest.json."""
    paths = BundledPaths(load_settings().data_dir)
    manifest = paths.images / "manifest.json"
    try:
        bank = build_hash_bank(manifest)
    except (OSError, KeyError, ValueError) as exc:
        fail(f"cannot build the hash bank from {str(manifest)!r}: {exc}")
    paths.hash_bank.write_text(bank.model_dump_json(indent=1) + "\n", "utf-8")
    out.print(
        line(
            f"wrote {len(bank.entries)} bank entries and {len(bank.sightings)} sightings to {paths.hash_bank}"
        )
    )


def schema() -> None:
    """Print the JSON Schema every case file must satisfy."""
    print_json(case_json_schema())
