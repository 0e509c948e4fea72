"""The learned risk screen as an evidence tool: what it reports, and when it cannot answer."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditgraph.agents import rules_agent
from auditgraph.agents.screen import E5Embedder, NoEmbedder, ScreenScorer, load_screen
from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.tools.case import parse_case
from auditgraph.tools.risk_screen import RiskScreenEvidence, make_risk_screen_tool
from auditgraph.workflows import Auditor
from tests.conftest import CASES, SCREEN, load_case

MANIFEST = json.loads((SCREEN / "manifest.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def scorer() -> ScreenScorer:
    """The shipped screen with the embedder it was trained with."""
    return ScreenScorer(SCREEN, E5Embedder())


def _screen_case(scorer: ScreenScorer, name: str) -> RiskScreenEvidence:
    listing = load_case(name)["listing"]
    tool = make_risk_screen_tool(scorer)
    return tool.invoke({"title": listing["title"], "description": listing["description"]})


def test_a_switchblade_scores_weapons_above_a_kitchen_knife_set(scorer: ScreenScorer) -> None:
    blade = _screen_case(scorer, "switchblade_collector")
    knives = _screen_case(scorer, "kitchen_knife_set")
    assert blade.status == "ok" and blade.error is None
    assert "weapons" in [a.area for a in blade.areas]
    assert blade.areas[0].area == "weapons"
    assert blade.violation is not None and knives.violation is not None
    assert blade.violation > knives.violation
    assert len(blade.areas) == 5 and len(blade.neighbours) == 3
    probabilities = [a.probability for a in blade.areas]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(n.label and n.id and len(n.text) <= 160 for n in blade.neighbours)


def test_the_evidence_names_the_screen_and_its_thresholds(scorer: ScreenScorer) -> None:
    evidence = _screen_case(scorer, "switchblade_collector")
    assert (evidence.version, evidence.sha256) == (MANIFEST["version"], MANIFEST["sha256"])
    assert evidence.approve_below == MANIFEST["metadata"]["approve_below"]
    assert evidence.decide_at == MANIFEST["metadata"]["decide_at"]


def test_a_screen_is_loaded_once_per_folder_and_embedder(scorer: ScreenScorer) -> None:
    scorer.assess("a title")
    assert load_screen(SCREEN, scorer.embedder) is load_screen(SCREEN.parent / SCREEN.name, E5Embedder())


def test_a_missing_screen_is_unavailable_evidence(tmp_path: Path) -> None:
    tool = make_risk_screen_tool(ScreenScorer(tmp_path / "no-such-screen", NoEmbedder()))
    evidence = tool.invoke({"title": "Switchblade", "description": ""})
    assert evidence.status == "unavailable"
    assert "no readable screen" in (evidence.error or "")
    assert evidence.violation is None and evidence.areas == []


def test_an_altered_screen_is_refused_as_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "altered"
    shutil.copytree(SCREEN, folder)
    with (folder / "screen.skops").open("ab") as model:
        model.write(b"\0")
    tool = make_risk_screen_tool(ScreenScorer(folder, E5Embedder()))
    evidence = tool.invoke({"title": "Switchblade", "description": ""})
    assert evidence.status == "unavailable"
    assert "sha256" in (evidence.error or "")


def test_another_embedder_is_refused_as_unavailable() -> None:
    evidence = make_risk_screen_tool(ScreenScorer(SCREEN, NoEmbedder())).invoke({"title": "Switchblade"})
    assert evidence.status == "unavailable"
    assert "embedder" in (evidence.error or "")


def test_the_rules_planner_plans_the_screen_only_when_offered() -> None:
    case = load_case("kitchen_knife_set")
    parsed = parse_case(case)
    assert "risk_screen" not in [c.tool for c in rules_agent().planner.plan(parsed).calls]
    calls = {c.tool: c for c in rules_agent(risk_screen=True).planner.plan(parsed).calls}
    assert calls["risk_screen"].args == {
        "title": case["listing"]["title"],
        "description": case["listing"]["description"],
    }


def test_an_unavailable_screen_never_lets_a_run_approve(
    make_auditor: Callable[..., Auditor], tmp_path: Path
) -> None:
    auditor = make_auditor(
        agent=rules_agent(risk_screen=True), screen=ScreenScorer(tmp_path / "gone", NoEmbedder())
    )
    result = auditor.audit(load_case("kitchen_knife_set"))
    assert result.status == "awaiting_review"
    steps = [s for s in auditor.store.steps(result.run_id) if s.kind == "tool" and s.node == "risk_screen"]
    assert len(steps) == 1
    assert steps[0].output["status"] == "unavailable"
    assert steps[0].error and "no readable screen" in steps[0].error


@pytest.mark.parametrize(
    ("name", "decision"), [("kitchen_knife_set", "approve"), ("switchblade_collector", "reject")]
)
def test_with_the_screen_the_bundled_knives_are_approved_and_the_switchblade_rejected(
    make_auditor: Callable[..., Auditor], scorer: ScreenScorer, name: str, decision: str
) -> None:
    auditor = make_auditor(agent=rules_agent(risk_screen=True), screen=scorer)
    result = auditor.audit(load_case(name))
    assert result.decision is not None and result.decision.decision == decision
    steps = [s for s in auditor.store.steps(result.run_id) if s.kind == "tool" and s.node == "risk_screen"]
    assert [s.output["status"] for s in steps] == ["ok"]


def test_the_trace_shows_the_screen_step_with_version_and_sha256(settings: Settings) -> None:
    runner = CliRunner()
    ran = runner.invoke(app, ["run", str(CASES / "switchblade_collector.json"), "--json"])
    assert ran.exit_code == 0, ran.output
    run_id = json.loads(ran.stdout)["run_id"]
    trace = json.loads(runner.invoke(app, ["trace", run_id, "--json"]).stdout)
    steps = [s for s in trace["steps"] if s["kind"] == "tool" and s["node"] == "risk_screen"]
    assert len(steps) == 1
    output = steps[0]["output"]
    assert output["status"] == "ok"
    assert (output["version"], output["sha256"]) == (MANIFEST["version"], MANIFEST["sha256"])
    assert output["areas"][0]["area"] == "weapons"
    assert trace["decisions"][0]["decision"] == "reject"
    text = runner.invoke(app, ["trace", run_id]).output
    assert f"screen {MANIFEST['version']} sha256 {MANIFEST['sha256'][:12]}" in text
