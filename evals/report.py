"""Eval reports: one append-only record per run, written as JSON, Markdown, JUnit XML and HTML.

The JSON report is the record (like an eval log): a spec saying exactly what ran (git
commit, agent, model, prompt and policy versions, a hash of the settings), per-case
results with scores and run ids, and the aggregates. The other three are views of it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from auditgraph.evals.dataset import EvalCase
from auditgraph.evals.metrics import DECISIONS, aggregate
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


def _html(report: dict[str, Any]) -> str:
    spec, agg = report["spec"], report["aggregates"]
    esc = html.escape
    kpi_rows = "".join(
        f"<tr><td>{esc(label)}</td><td>{esc(_fmt(agg.get(key)))}</td></tr>" for key, label, _ in KPIS
    )
    peak = max((v for row in agg["confusion"].values() for v in row.values()), default=1) or 1
    outcomes = [*DECISIONS, "failed"]
    matrix = "".join(
        f"<tr><th>{e}</th>"
        + "".join(
            f'<td style="background:rgba({"40,140,80" if e == o else "200,60,60"},{agg["confusion"][e][o] / peak:.2f})">'
            f"{agg['confusion'][e][o]}</td>"
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
        + f"<td>{v['violating_cases']}</td></tr>"
        for area, v in agg["per_area"].items()
    )
    failures = "".join(
        f"<li><code>{esc(row['case']['id'])}</code> expected <b>{esc(row['case']['expected']['decision'])}</b>, "
        f"got <b>{esc(str(row['result']['decision']))}</b> {esc(str(row['result']['clause_ids']))} "
        f"<small>{esc(', '.join(row['result']['escalation_reasons']))} · run {esc(str(row['result']['run_id']))}</small></li>"
        for row in _failures(report)[:50]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Eval report: {esc(spec["suite"])}</title>
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#222}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
.bar{{display:inline-block;width:120px;height:10px;background:#eee;margin-right:6px}}
.bar span{{display:block;height:10px;background:#3a7}}small{{color:#666}}
</style></head><body>
<h1>Eval report: {esc(spec["suite"])}</h1>
<p>Agent <code>{esc(spec["agent"])}</code> ({esc(spec["agent_version"])}), model <code>{esc(str(spec.get("model") or "-"))}</code>,
policy <code>{esc(spec["policy_version"])}</code>, commit <code>{esc(str(spec.get("git_sha") or "unknown"))}</code>,
{spec["trials"]} trial(s), {agg["cases"]} cases, {spec["elapsed_s"]} s.</p>
<h2>KPIs</h2><table>{kpi_rows}</table>
<h2>Confusion matrix</h2><p>Rows: expected decision. Columns: outcome.</p>
<table><tr><th></th>{"".join(f"<th>{o}</th>" for o in outcomes)}</tr>{matrix}</table>
<h2>Per policy area</h2><table><tr><th>area</th><th>precision</th><th>recall</th><th>violating cases</th></tr>{bars}</table>
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
