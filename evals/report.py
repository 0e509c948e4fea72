"""Eval reports: one append-only record per run, written as JSON, Markdown, JUnit XML and HTML.

The JSON report is the record (like an eval log): a spec saying exactly what ran (git
commit, agent, model, prompt and policy versions, a hash of the settings), per-case
results with scores and run ids, and the aggregates. The other three are views of it.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from auditgraph.evals.dataset import EvalCase
from auditgraph.evals.metrics import DECISIONS, QUEUE_MIN_CASES, aggregate
from auditgraph.evals.results import CaseResult
from auditgraph.evals.scorers import score_case
from auditgraph.tools.personal_data import mask

__all__ = ["KPIS", "build_report", "write_reports"]

KPIS: list[tuple[str, str, bool]] = [
    ("accuracy", "Decision accuracy", True),
    ("macro_f1", "Macro-F1 over decisions", True),
    ("false_approve_rate", "False-approve rate (violating cases approved)", False),
    ("false_reject_rate", "False-reject rate (benign cases taken down)", False),
    ("escalation_rate", "Escalation rate", False),
    ("automation_rate", "Automation rate (decided without a human)", True),
    ("escalated_when_required", "Escalated when a human was required", True),
    ("citation_precision", "Citation precision", True),
    ("citation_recall", "Citation recall", True),
    ("trajectory_subset", "Trajectory (expected tools called)", True),
    ("crashes", "Crashed runs", False),
    ("latency_p50_ms", "Latency p50 (ms)", False),
    ("latency_p95_ms", "Latency p95 (ms)", False),
    ("model_calls_per_case", "Model calls per case", False),
    ("tokens_per_case", "Tokens per case", False),
    ("cost_per_case_usd", "Cost per case (USD)", False),
    ("model_use_rate", "Cases that needed a model", False),
    ("verdict_model_rate", "Verdicts that needed a model (the rest settled by the screen)", False),
    ("model_calls_total", "Model calls (first trial of each case)", False),
    ("cost_saved_usd", "Cost saved by verdicts reached without a model (USD, estimated)", True),
    ("screen_roc_auc", "Risk screen ROC AUC on this suite", True),
    ("screen_ece", "Risk screen calibration error (ECE)", False),
    ("queue_top_decile_precision", "Queue precision, top decile of escalations", True),
    ("trial_agreement", "Agreement between trials", True),
]
"""(metric, label, higher is better)."""


def build_report(
    spec: dict[str, Any],
    cases: Sequence[EvalCase],
    results: Sequence[CaseResult],
    *,
    clause_area: dict[str, str],
) -> dict[str, Any]:
    """The whole record of one suite run."""
    by_id = {c.id: c for c in cases}
    per_case = []
    for case in cases:
        mine = [r for r in results if r.case_id == case.id]
        per_case.append(
            {
                "id": case.id,
                "expected": case.expected.model_dump(mode="json"),
                "metadata": case.metadata,
                "results": [
                    {
                        **r.model_dump(mode="json"),
                        "scores": {
                            n: {"value": s.value, "explanation": s.explanation}
                            for n, s in score_case(case, r).items()
                        },
                    }
                    for r in mine
                ],
            }
        )
    return {
        "spec": spec,
        "aggregates": aggregate(by_id, results, clause_area=clause_area),
        # Error messages and metadata can quote a case; reports are shared, so mask them.
        "cases": mask(per_case),
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.1f}"
    return str(value)


def _failures(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Wrong outcomes, worst first: approvals of violating cases, then takedowns of benign ones."""
    rank = {"approve": 0}
    rows = []
    for case in report["cases"]:
        expected = case["expected"]["decision"]
        for r in case["results"]:
            if r["decision"] == expected:
                continue
            if r["decision"] == "approve" and expected in ("reject", "restrict", "escalate"):
                severity = 0
            elif r["decision"] in ("reject", "restrict") and expected == "approve":
                severity = 1
            elif r["decision"] is None:
                severity = 0
            else:
                severity = 2 + rank.get(r["decision"], 0)
            rows.append({"severity": severity, "case": case, "result": r})
    return sorted(rows, key=lambda row: (row["severity"], row["case"]["id"]))


def _screen_note(agg: dict[str, Any]) -> str:
    screen = agg["screen"]
    if not screen["cases"]:
        return "No run recorded a risk-screen score."
    return (
        f"{screen['cases']} cases scored ({screen['violating']} violating, {screen['benign']} benign; "
        "cases expected to escalate are left out), first trial of each case."
    )


def _queue_note(agg: dict[str, Any]) -> str:
    queues = agg["queues"]
    if agg["queue_top_decile_precision"] is None:
        return f"{queues['escalated']} escalated case(s), none with a queue to rank."
    return (
        f"{queues['escalated']} escalated cases, in the order their queue serves them (priority, then "
        f"risk, highest first and unknown last, then case order); the first {queues['top']} are the top "
        f"decile. Queues with fewer than {QUEUE_MIN_CASES} escalations are not listed on their own."
    )


def _queue_rows(agg: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    overall = {
        **agg["queues"],
        "precision": agg["queue_top_decile_precision"],
        "base_rate": agg["queue_base_rate"],
    }
    return [("all queues", overall), *agg["queues"]["per_queue"].items()]


def _screen_markdown(agg: dict[str, Any]) -> list[str]:
    bins = agg["screen"]["reliability"]
    return [
        "## Risk screen on this suite",
        "",
        _screen_note(agg),
        "",
        "| figure | value |",
        "|---|---|",
        f"| ROC AUC | {_fmt(agg['screen_roc_auc'])} |",
        f"| average precision | {_fmt(agg['screen_average_precision'])} |",
        f"| expected calibration error (10 bins) | {_fmt(agg['screen_ece'])} |",
        "",
        *(
            ["| bin | cases | mean predicted | observed violating share |", "|---|---|---|---|"]
            if bins
            else []
        ),
        *(
            f"| {b['low']:.1f}–{b['high']:.1f} | {b['count']} | {_fmt(b['predicted'])} | {_fmt(b['observed'])} |"
            for b in bins
        ),
        *([""] if bins else []),
    ]


def _queue_markdown(agg: dict[str, Any]) -> list[str]:
    return [
        "## Queue ranking",
        "",
        _queue_note(agg),
        "",
        "| queue | escalated | top decile | precision | base rate | lift |",
        "|---|---|---|---|---|---|",
        *(
            f"| {name} | {q['escalated']} | {q['top']} | {_fmt(q['precision'])} | {_fmt(q['base_rate'])} "
            f"| {_fmt(q['lift'])} |"
            for name, q in _queue_rows(agg)
        ),
        "",
    ]


def _markdown(report: dict[str, Any]) -> str:
    spec, agg = report["spec"], report["aggregates"]
    lines = [
        f"# Eval report: {spec['suite']}",
        "",
        f"Agent `{spec['agent']}` ({spec['agent_version']}), model `{spec.get('model') or '-'}`, "
        f"prompts `{spec.get('prompt_version') or '-'}`, policy `{spec['policy_version']}`, "
        f"commit `{spec.get('git_sha') or 'unknown'}`, {spec['trials']} trial(s), {agg['cases']} cases, "
        f"finished {spec['finished']}, {spec['elapsed_s']} s.",
        "",
        "| KPI | value |",
        "|---|---|",
        *(f"| {label} | {_fmt(agg.get(key))} |" for key, label, _ in KPIS),
        "",
        "## Confusion (expected rows, outcome columns)",
        "",
        "| expected \\ outcome | " + " | ".join([*DECISIONS, "failed"]) + " |",
        "|---|" + "---|" * (len(DECISIONS) + 1),
        *(
            f"| {e} | " + " | ".join(str(agg["confusion"][e][o]) for o in [*DECISIONS, "failed"]) + " |"
            for e in DECISIONS
        ),
        "",
        "## Per area",
        "",
        "| area | precision | recall | violating cases |",
        "|---|---|---|---|",
        *(
            f"| {a} | {_fmt(v['precision'])} | {_fmt(v['recall'])} | {v['violating_cases']} |"
            for a, v in agg["per_area"].items()
        ),
        "",
        *_screen_markdown(agg),
        *_queue_markdown(agg),
        "## Worst failures",
        "",
    ]
    failures = _failures(report)
    if not failures:
        lines.append("None.")
    for row in failures[:15]:
        case, r = row["case"], row["result"]
        lines.append(
            f"- `{case['id']}` expected **{case['expected']['decision']}** {case['expected']['clause_ids']}, "
            f"got **{r['decision']}** {r['clause_ids']} ({', '.join(r['escalation_reasons']) or 'no escalation'}); "
            f"trace: `auditgraph trace {r['run_id']}`"
        )
    if len(failures) > 15:
        lines.append(f"- … and {len(failures) - 15} more (see report.json)")
    return "\n".join(lines) + "\n"


def _junit(report: dict[str, Any]) -> bytes:
    spec = report["spec"]
    results = [(c, r) for c in report["cases"] for r in c["results"]]
    failures = [1 for c, r in results if r["decision"] != c["expected"]["decision"]]
    suite = ElementTree.Element(
        "testsuite",
        name=f"eval.{spec['suite']}",
        tests=str(len(results)),
        failures=str(len(failures)),
        time=str(spec["elapsed_s"]),
    )
    for case, r in results:
        test = ElementTree.SubElement(
            suite, "testcase", classname=f"eval.{spec['suite']}", name=f"{case['id']}[trial {r['trial']}]",
            time=str(round(r["latency_ms"] / 1000, 4)),
        )  # fmt: skip
        if r["decision"] != case["expected"]["decision"]:
            failure = ElementTree.SubElement(
                test, "failure", message=f"expected {case['expected']['decision']}, got {r['decision']}"
            )
            failure.text = f"run {r['run_id']}; clauses {r['clause_ids']}; reasons {r['escalation_reasons']}"
    return ElementTree.tostring(suite, encoding="utf-8", xml_declaration=True)


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _reliability_svg(bins: Sequence[dict[str, Any]]) -> str:
    """A reliability plot as inline SVG: the diagonal of perfect calibration, and one point a
    bin at (mean predicted, observed violating share), larger the more cases it holds."""
    side, left, top = 300, 58, 14

    def x(v: float) -> str:
        return f"{left + v * side:.1f}"

    def y(v: float) -> str:
        return f"{top + (1 - v) * side:.1f}"

    peak = max((b["count"] for b in bins), default=1) or 1
    ticks = "".join(
        f'<line x1="{x(t)}" y1="{y(0)}" x2="{x(t)}" y2="{top + side + 5}"/>'
        f'<text x="{x(t)}" y="{top + side + 18}" text-anchor="middle" stroke="none">{t:g}</text>'
        f'<line x1="{left - 5}" y1="{y(t)}" x2="{x(0)}" y2="{y(t)}"/>'
        f'<text x="{left - 8}" y="{y(t)}" dy="4" text-anchor="end" stroke="none">{t:g}</text>'
        for t in (0, 0.25, 0.5, 0.75, 1)
    )
    points = []
    for b in bins:
        tip = (
            f"{b['low']:.1f}–{b['high']:.1f}: {b['count']} cases, mean predicted {_fmt(b['predicted'])}, "
            f"observed {_fmt(b['observed'])}"
        )
        radius = 3 + 9 * math.sqrt(b["count"] / peak)
        points.append(
            f'<circle cx="{x(b["predicted"])}" cy="{y(b["observed"])}" r="{radius:.1f}">'
            f"<title>{_esc(tip)}</title></circle>"
        )
    width, height, middle = left + side + 20, top + side + 48, top + side / 2
    return (
        f'<svg class="reliability" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Reliability plot: observed violating '
        'share against the mean predicted probability, one point a bin">'
        f'<g stroke="#999" font-size="11" fill="#444">{ticks}'
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(0)}"/>'
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(0)}" y2="{y(1)}"/></g>'
        f'<line class="diagonal" x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#aaa" '
        'stroke-dasharray="5 4"/>'
        f'<text x="{x(0.97)}" y="{y(0.04)}" text-anchor="end" font-size="10" fill="#999">'
        "dashed: perfect calibration</text>"
        f'<g fill="rgba(40,110,190,0.55)" stroke="#1f5f9f">{"".join(points)}</g>'
        f'<text x="{left + side / 2:.1f}" y="{top + side + 40}" text-anchor="middle" font-size="12">'
        "mean predicted probability</text>"
        f'<text x="14" y="{middle:.1f}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 14 {middle:.1f})">observed violating share</text>'
        "</svg>"
    )


def _screen_html(agg: dict[str, Any]) -> str:
    bins = agg["screen"]["reliability"]
    figures = "".join(
        f"<tr><td>{_esc(label)}</td><td>{_esc(_fmt(agg[key]))}</td></tr>"
        for key, label in (
            ("screen_roc_auc", "ROC AUC"),
            ("screen_average_precision", "average precision"),
            ("screen_ece", "expected calibration error (10 bins)"),
        )
    )
    rows = "".join(
        f"<tr><td>{b['low']:.1f}–{b['high']:.1f}</td><td>{_esc(b['count'])}</td>"
        f"<td>{_esc(_fmt(b['predicted']))}</td><td>{_esc(_fmt(b['observed']))}</td></tr>"
        for b in bins
    )
    table = (
        "<table><tr><th>bin</th><th>cases</th><th>mean predicted</th><th>observed violating share</th></tr>"
        f"{rows}</table>"
    )
    return f"<h2>Risk screen on this suite</h2><p>{_esc(_screen_note(agg))}</p><table>{figures}</table>" + (
        f'<div class="plot">{_reliability_svg(bins)}{table}</div>' if bins else ""
    )


def _queue_html(agg: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{_esc(name)}</td><td>{_esc(q['escalated'])}</td><td>{_esc(q['top'])}</td>"
        f'<td><div class="bar"><span style="width:{(q["precision"] or 0) * 100:.0f}%"></span></div>{_esc(_fmt(q["precision"]))}</td>'
        f"<td>{_esc(_fmt(q['base_rate']))}</td><td>{_esc(_fmt(q['lift']))}</td></tr>"
        for name, q in _queue_rows(agg)
    )
    return (
        f"<h2>Queue ranking</h2><p>{_esc(_queue_note(agg))}</p><table><tr><th>queue</th><th>escalated</th>"
        f"<th>top decile</th><th>precision</th><th>base rate</th><th>lift</th></tr>{rows}</table>"
    )


def _html(report: dict[str, Any]) -> str:
    spec, agg = report["spec"], report["aggregates"]
    esc = _esc
    kpi_rows = "".join(
        f"<tr><td>{esc(label)}</td><td>{esc(_fmt(agg.get(key)))}</td></tr>" for key, label, _ in KPIS
    )
    peak = max((v for row in agg["confusion"].values() for v in row.values()), default=1) or 1
    outcomes = [*DECISIONS, "failed"]
    matrix = "".join(
        f"<tr><th>{esc(e)}</th>"
        + "".join(
            f'<td style="background:rgba({"40,140,80" if e == o else "200,60,60"},{agg["confusion"][e][o] / peak:.2f})">'
            f"{esc(agg['confusion'][e][o])}</td>"
            for o in outcomes
        )
        + "</tr>"
        for e in DECISIONS
    )
    bars = "".join(
        f"<tr><td>{esc(area)}</td>"
        + "".join(
            f'<td><div class="bar"><span style="width:{(v[m] or 0) * 100:.0f}%"></span></div>{esc(_fmt(v[m]))}</td>'
            for m in ("precision", "recall")
        )
        + f"<td>{esc(v['violating_cases'])}</td></tr>"
        for area, v in agg["per_area"].items()
    )
    failures = "".join(
        f"<li><code>{esc(row['case']['id'])}</code> expected <b>{esc(row['case']['expected']['decision'])}</b>, "
        f"got <b>{esc(row['result']['decision'])}</b> {esc(row['result']['clause_ids'])} "
        f"<small>{esc(', '.join(row['result']['escalation_reasons']))} · run {esc(row['result']['run_id'])}</small></li>"
        for row in _failures(report)[:50]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Eval report: {esc(spec["suite"])}</title>
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#222}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
.bar{{display:inline-block;width:120px;height:10px;background:#eee;margin-right:6px}}
.bar span{{display:block;height:10px;background:#3a7}}small{{color:#666}}
.plot{{display:flex;gap:1.5rem;align-items:flex-start;flex-wrap:wrap}}
</style></head><body>
<h1>Eval report: {esc(spec["suite"])}</h1>
<p>Agent <code>{esc(spec["agent"])}</code> ({esc(spec["agent_version"])}), model <code>{esc(spec.get("model") or "-")}</code>,
policy <code>{esc(spec["policy_version"])}</code>, commit <code>{esc(spec.get("git_sha") or "unknown")}</code>,
{esc(spec["trials"])} trial(s), {esc(agg["cases"])} cases, {esc(spec["elapsed_s"])} s.</p>
<h2>KPIs</h2><table>{kpi_rows}</table>
<h2>Confusion matrix</h2><p>Rows: expected decision. Columns: outcome.</p>
<table><tr><th></th>{"".join(f"<th>{esc(o)}</th>" for o in outcomes)}</tr>{matrix}</table>
<h2>Per policy area</h2><table><tr><th>area</th><th>precision</th><th>recall</th><th>violating cases</th></tr>{bars}</table>
{_screen_html(agg)}
{_queue_html(agg)}
<h2>Worst failures</h2><ol>{failures or "<li>None.</li>"}</ol>
</body></html>
"""


def write_reports(report: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write report.json, report.md, junit.xml and report.html into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out / "report.json",
        "markdown": out / "report.md",
        "junit": out / "junit.xml",
        "html": out / "report.html",
    }
    paths["json"].write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", "utf-8")
    paths["markdown"].write_text(_markdown(report), "utf-8")
    paths["junit"].write_bytes(_junit(report))
    paths["html"].write_text(_html(report), "utf-8")
    return paths
