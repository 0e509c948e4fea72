"""`auditgraph eval`: run suites, compare reports, gate regressions, import reviews as cases.

A group of its own (`eval_app`), added to the command line by `service/cli/app.py`."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from auditgraph.evals.compare import compare_reports
from auditgraph.evals.dataset import DatasetError, load_dataset, suite_path
from auditgraph.evals.feedback import import_reviews
from auditgraph.evals.gate import BASELINES, check, load_json, make_baseline
from auditgraph.evals.report import KPIS, build_report, write_reports
from auditgraph.evals.runner import run_suite
from auditgraph.service.cli import common
from auditgraph.service.settings import Settings
from auditgraph.workflows import Auditor

__all__ = ["eval_app"]

eval_app = typer.Typer(help="Eval suites: run, compare, gate, grow from reviews.", no_args_is_help=True)


def _git_sha() -> str | None:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except OSError:
        return None
    return found.stdout.strip() or None


def _settings_hash(settings: Settings) -> str:
    public = settings.model_dump(mode="json", exclude={"llm_api_key", "database_url"})
    return hashlib.sha256(json.dumps(public, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _spec(suite: str, path: Path, settings: Settings, auditor: Auditor, trials: int) -> dict[str, Any]:
    return {
        "suite": suite,
        "dataset": str(path),
        "dataset_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "git_sha": _git_sha(),
        "agent": auditor.agent.kind,
        "agent_version": auditor.agent.version,
        "model": auditor.agent.model,
        "prompt_version": auditor.agent.prompt_version,
        "policy_version": auditor.policy_version,
        "settings_hash": _settings_hash(settings),
        "trials": trials,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


@eval_app.command("run")
def run(
    suite: Annotated[
        str, typer.Option(help="A suite name (evals/datasets/NAME.jsonl) or a .jsonl path.")
    ] = "core",
    model: Annotated[
        str | None, typer.Option(help="rules or openai:MODEL (as for `auditgraph run`).")
    ] = None,
    trials: Annotated[int, typer.Option(min=1, max=20, help="Runs per case; agreement is reported.")] = 1,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Cases audited at once (default 1 for the CPU-bound rules agent, 8 for a model).",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder; an existing one resumes.")] = None,
    gate: Annotated[
        bool, typer.Option("--check/--no-check", help="Apply the regression gate afterwards.")
    ] = False,
) -> None:
    """Run a suite and write report.json, report.md, junit.xml and report.html."""
    path = suite_path(suite)
    try:
        cases = load_dataset(path)
    except DatasetError as exc:
        common.fail(str(exc))
    settings = common.with_model(common.load_settings(), model)
    if concurrency is None:
        concurrency = 1 if settings.model == "rules" else 8
    name = path.stem
    folder = out or Path(".auditgraph") / "evals" / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    with common.opened_auditor(settings) as auditor:
        spec = _spec(name, path, settings, auditor, trials)
        started = time.perf_counter()
        with Progress(
            # The suite's name is a file name: text, never markup or a format string.
            TextColumn("{task.description}", style="bold", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=common.err,
        ) as progress:
            task = progress.add_task(common.visible(name), total=len(cases) * trials)
            results = run_suite(
                auditor,
                cases,
                results_path=folder / "results.jsonl",
                trials=trials,
                concurrency=concurrency,
                progress=lambda done, total: progress.update(
                    task, completed=len(cases) * trials - total + done
                ),
            )
        spec["elapsed_s"] = round(time.perf_counter() - started, 2)
        spec["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        clause_area = {c.id: c.area for c in auditor.toolset.policy.pack.clauses}
        report = build_report(spec, cases, results, clause_area=clause_area)
    paths = write_reports(report, folder)
    _print_kpis(report)
    for kind, written in paths.items():
        common.out.print(common.line((f"{kind:<9}", "bold"), f" {written}"), soft_wrap=True)
    if gate:
        _gate(report, BASELINES / f"{name}.json")


def _print_kpis(report: dict[str, Any]) -> None:
    table = common.table("KPI", "value")
    for key, label, _ in KPIS:
        value = report["aggregates"].get(key)
        table.add_row(label, "n/a" if value is None else str(value))
    common.out.print(table)


def _gate(report: dict[str, Any], baseline_path: Path) -> None:
    if not baseline_path.exists():
        common.fail(
            f"no baseline at {baseline_path}; create one with `auditgraph eval check REPORT --update`"
        )
    rows = check(report, load_json(baseline_path))
    table = common.table("critical metric", "baseline", "now", "tolerance", "result")
    for row in rows:
        table.add_row(
            row.metric,
            str(row.baseline),
            str(row.current),
            str(row.tolerance),
            "ok" if row.ok else Text("WORSE", style="red"),
        )
    common.out.print(table)
    failed = [r.metric for r in rows if not r.ok]
    if failed:
        common.fail(f"regression gate failed on {', '.join(failed)} (baseline {baseline_path})", code=1)
    common.out.print(f"gate passed against {baseline_path}")


@eval_app.command("check")
def check_command(
    report: Annotated[Path, typer.Argument(help="A report.json, or the folder holding it.")],
    baseline: Annotated[Path | None, typer.Option(help="Defaults to evals/baselines/SUITE.json.")] = None,
    update: Annotated[
        bool, typer.Option("--update", help="Write this report's metrics as the baseline.")
    ] = False,
) -> None:
    """Fail (exit 1) when a critical metric is worse than the committed baseline beyond its tolerance."""
    data = _load_report(report)
    path = baseline or BASELINES / f"{data['spec']['suite']}.json"
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(make_baseline(data), indent=1) + "\n", "utf-8")
        common.out.print(f"baseline written to {path}")
        return
    _gate(data, path)


def _load_report(path: Path) -> dict[str, Any]:
    file = path / "report.json" if path.is_dir() else path
    try:
        return load_json(file)
    except (OSError, json.JSONDecodeError) as exc:
        common.fail(f"cannot read report {str(file)!r}: {exc}")


@eval_app.command("compare")
def compare(
    report_a: Annotated[Path, typer.Argument(help="The report before (file or folder).")],
    report_b: Annotated[Path, typer.Argument(help="The report after.")],
    as_json: common.JsonFlag = False,
) -> None:
    """Every metric side by side with its change, and the cases whose outcome flipped."""
    a, b = _load_report(report_a), _load_report(report_b)
    if a["spec"]["suite"] != b["spec"]["suite"]:
        common.fail(f"different suites: {a['spec']['suite']!r} and {b['spec']['suite']!r}")
    result = compare_reports(a, b)
    if as_json:
        common.print_json(result._asdict())
        return
    table = common.table("metric", "A", "B", "change")
    for metric, va, vb, delta in result.metrics:
        table.add_row(metric, str(va), str(vb), "" if delta is None else f"{delta:+g}")
    common.out.print(table)
    flips = common.table("case", "expected", "A", "B", "change")
    for f in result.flipped:
        flips.add_row(f["id"], f["expected"], str(f["a"]), str(f["b"]), f["change"])
    common.out.print(flips if result.flipped else Text("no case changed its outcome", style="dim"))
    common.out.print(result.note)


@eval_app.command("import-reviews")
def import_reviews_command(
    out: Annotated[Path, typer.Option(help="The dataset file to write (.jsonl).")] = Path(
        "evals/datasets/reviews.jsonl"
    ),
) -> None:
    """Turn reviewed runs into eval cases (the reviewer's decision is the ground truth)."""
    settings = common.load_settings()
    with common.opened_auditor(settings) as auditor:
        imported = import_reviews(auditor.store, auditor.toolset.policy.pack)
    if not imported.lines:
        common.fail("no reviewed runs in the audit store; review some with `auditgraph review`")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in imported.lines), "utf-8")
    common.out.print(
        f"wrote {len(imported.lines)} case(s) to {out}; human override rate {imported.override_rate} "
        f"({imported.overrides} of {imported.reviews} reviews)"
    )
