"""The eval machinery end to end on the bundled example cases: run, report, compare, gate, feedback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from auditgraph.agents import Agent, EvidenceSet, Verdict
from auditgraph.agents.adjudicator import RulesAdjudicator
from auditgraph.agents.planner import RulesPlanner
from auditgraph.evals.compare import compare_reports, mcnemar_p
from auditgraph.evals.dataset import DatasetError, EvalCase, load_dataset
from auditgraph.evals.feedback import import_reviews
from auditgraph.evals.gate import check, make_baseline
from auditgraph.evals.report import build_report, write_reports
from auditgraph.evals.results import CaseResult
from auditgraph.evals.runner import run_suite
from auditgraph.evals.scorers import score_case
from auditgraph.tools.image_check import ImageChecker
from auditgraph.tools.policy_pack import load_pack
from auditgraph.tools.text_screen import TextScreener
from auditgraph.workflows import Auditor
from tests.conftest import CASES, DATA, EXPECTED, load_case

SPEC = {
    "suite": "examples", "agent": "rules", "agent_version": "v", "model": None, "prompt_version": None,
    "policy_version": "p", "trials": 1, "elapsed_s": 1.0, "finished": "now", "git_sha": None,
}  # fmt: skip


def _examples() -> list[EvalCase]:
    return [
        EvalCase(
            id=name,
            input=load_case(name),
            expected={
                "decision": e["decision"],
                "clause_ids": e["clause_ids"],
                "human_required": e["decision"] == "escalate",
                "tools": ["seller_history", "policy_retrieval", "text_screen"],
                "area": None if e["decision"] in ("approve", "escalate") else _area(e["clause_ids"][0]),
            },
            metadata={"kind": e["kind"]},
        )
        for name, e in sorted(EXPECTED.items())
    ]


def _area(clause_id: str) -> str:
    clause = load_pack(DATA / "policy").clause(clause_id)
    assert clause is not None, f"{clause_id} is not in the bundled pack"
    return clause.area


class ApprovesWeapons:
    """A deliberately broken adjudicator: it waves weapons through."""

    version = "broken/1"

    def __init__(self) -> None:
        self.rules = RulesAdjudicator()

    def adjudicate(self, case: Any, evidence: EvidenceSet) -> Verdict:
        verdict = self.rules.adjudicate(case, evidence)
        if "weapons" in verdict.areas and verdict.decision in ("reject", "escalate"):
            return verdict.model_copy(update={"decision": "approve", "clause_ids": [], "confidence": 0.95})
        return verdict


def _report(auditor: Auditor, cases: list[EvalCase], folder: Path) -> dict[str, Any]:
    results = run_suite(auditor, cases, results_path=folder / "results.jsonl", concurrency=2)
    clause_area = {c.id: c.area for c in auditor.toolset.policy.pack.clauses}
    return build_report(SPEC, cases, results, clause_area=clause_area)


def test_a_run_writes_all_four_reports(auditor: Auditor, tmp_path: Path) -> None:
    # The auditor as the CLI wires it (the risk screen included): what expected.yaml holds.
    cases = _examples()
    report = _report(auditor, cases, tmp_path)
    agg = report["aggregates"]
    assert agg["accuracy"] == 1.0 and agg["false_approve_rate"] == 0.0 and agg["crashes"] == 0
    assert agg["per_area"]["weapons"]["recall"] == 1.0
    paths = write_reports(report, tmp_path)
    assert json.loads(paths["json"].read_text())["aggregates"]["cases"] == len(cases)
    assert "| False-approve rate (violating cases approved) | 0 |" in paths["markdown"].read_text()
    suite = ElementTree.parse(paths["junit"]).getroot()
    assert suite.get("tests") == str(len(cases)) and suite.get("failures") == "0"
    page = paths["html"].read_text()
    assert "Confusion matrix" in page and "<table>" in page and "weapons" in page
    every = [r["run_id"] for c in report["cases"] for r in c["results"]]
    assert all(r.startswith("run_") for r in every)


def test_the_gate_passes_on_the_baseline_and_fails_when_weapons_are_approved(
    make_auditor: Callable[..., Auditor], tmp_path: Path
) -> None:
    cases = _examples()
    good = _report(make_auditor(), cases, tmp_path / "good")
    baseline = make_baseline(good)
    assert all(row.ok for row in check(good, baseline))
    # Deliberately broken for weapons: the adjudicator waves them through, and the evidence
    # the guard would hold against an approval (weapon terms, the weapons image bank) is gone.
    base = make_auditor()
    lexicon = base.toolset.screener.lexicon
    blind = TextScreener(
        lexicon.model_copy(update={"terms": [t for t in lexicon.terms if t.area != "weapons"]})
    )
    bank = base.toolset.images.bank
    no_weapons = bank.model_copy(update={"entries": [e for e in bank.entries if e.area != "weapons"]})
    images = ImageChecker(base.toolset.images.source, no_weapons)
    broken_agent = Agent(kind="rules", planner=RulesPlanner(), adjudicator=ApprovesWeapons())
    bad = _report(make_auditor(agent=broken_agent, screener=blind, images=images), cases, tmp_path / "bad")
    failed = {row.metric for row in check(bad, baseline) if not row.ok}
    assert "false_approve_rate" in failed
    comparison = compare_reports(good, bad)
    flipped = {f["id"]: f for f in comparison.flipped}
    assert flipped["switchblade_collector"]["change"] == "broken"
    assert flipped["switchblade_collector"]["b"] == "approve"
    assert comparison.broken >= 1 and comparison.fixed == 0
    assert "too few" in comparison.note


def test_an_interrupted_run_resumes_without_auditing_twice(
    make_auditor: Callable[..., Auditor], tmp_path: Path
) -> None:
    cases = _examples()
    auditor = make_auditor()
    results_path = tmp_path / "results.jsonl"
    run_suite(auditor, cases[:5], results_path=results_path)
    with results_path.open("a") as sink:
        sink.write('{"case_id": "kitchen_kn')  # the process died mid-write
    before = len(auditor.store.list_runs(limit=1000))
    results = run_suite(auditor, cases, results_path=results_path)
    assert len(results) == len(cases)
    assert len(auditor.store.list_runs(limit=1000)) - before == len(cases) - 5


def test_trials_report_agreement(make_auditor: Callable[..., Auditor], tmp_path: Path) -> None:
    cases = _examples()[:3]
    results = run_suite(make_auditor(), cases, results_path=tmp_path / "r.jsonl", trials=2)
    assert [r.trial for r in results] == [1, 2] * 3
    report = build_report({**SPEC, "trials": 2}, cases, results, clause_area={})
    assert report["aggregates"]["trial_agreement"] == 1.0


def test_reviews_become_a_dataset_the_runner_accepts(
    make_auditor: Callable[..., Auditor], tmp_path: Path
) -> None:
    auditor = make_auditor()
    first = auditor.audit(load_case("injection_in_description"))
    auditor.review(first.run_id, {"reviewer": "ann", "decision": "approve", "reason": "Genuine tote."})
    imported = import_reviews(auditor.store, auditor.toolset.policy.pack)
    assert imported.reviews == 1 and imported.overrides == 1 and imported.override_rate == 1.0
    path = tmp_path / "reviews.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in imported.lines))
    [case] = load_dataset(path)
    assert case.expected.decision == "approve"
    assert case.metadata["agent_decision"] == "reject" and case.metadata["overrode_agent"] is True
    [result] = run_suite(auditor, [case], results_path=tmp_path / "r.jsonl")
    assert result.decision == "escalate"


def test_scorers_on_hand_made_results() -> None:
    case = EvalCase(id="x", input={}, expected={"decision": "reject", "clause_ids": ["WPN-4"], "human_required": False,
                                                "tools": ["seller_history", "text_screen"]})  # fmt: skip
    approved = CaseResult(
        case_id="x", trial=1, run_id="r", status="completed", decision="approve", tools=["text_screen"]
    )
    scores = score_case(case, approved)
    assert scores["decision_match"].value == 0.0
    assert scores["never_fail_open"].value == 0.0
    assert scores["trajectory_subset"].value == 0.0
    assert scores["escalated_when_required"].value is None
    rejected = approved.model_copy(
        update={
            "decision": "reject",
            "clause_ids": ["WPN-4", "WPN-1"],
            "tools": ["text_screen", "seller_history"],
        }
    )
    scores = score_case(case, rejected)
    assert scores["citation_precision"].value == 0.5 and scores["citation_recall"].value == 1.0
    assert scores["trajectory_unordered"].value == 1.0 and scores["trajectory_strict"].value == 0.0


def test_mcnemar_exact_values() -> None:
    assert mcnemar_p(0, 0) is None
    assert mcnemar_p(0, 10) == pytest.approx(2 / 1024, abs=1e-4)
    assert mcnemar_p(5, 5) == 1.0


def test_bad_dataset_lines_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = {
        "id": "a",
        "input": json.loads((CASES / "kitchen_knife_set.json").read_text()),
        "expected": {"decision": "approve"},
    }
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "expected": {"decision": "maybe"}}) + "\n")
    with pytest.raises(DatasetError, match=r"bad\.jsonl:2: expected\.decision: "):
        load_dataset(path)
    path.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    with pytest.raises(DatasetError, match="duplicate case id 'a'"):
        load_dataset(path)
