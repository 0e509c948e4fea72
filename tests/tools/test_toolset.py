"""The bundled toolset: every LangChain tool is named, described, typed and returns its evidence."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import create_engine
from sqlmodel import Session, func, select

from auditgraph.agents.screen import E5Embedder, ScreenScorer
from auditgraph.store.records import EscalationRecord
from auditgraph.store.tables import SellerRow
from auditgraph.tools import EVIDENCE_TYPES, TOOL_NAMES, BundledPaths, Evidence, Toolset, load_bundled_toolset
from auditgraph.tools.escalation import MemoryEscalationBackend
from tests.conftest import SCREEN

ARGS: dict[str, dict[str, Any]] = {
    "seller_history": {"seller_id": "S00003", "as_of": "2026-11-25"},
    "image_check": {"images": ["listings/watch_box_closeup.png", "missing.png"], "seller_id": "S00003"},
    "policy_retrieval": {"query": "R3PL!CA 1:1 mirror quality watch", "category": "watches"},
    "text_screen": {"texts": {"listing.title": "Orvelle Geneve Chronograph – R3PL!CA 1:1 mirror quality"}},
    "brand_check": {
        "text": "Orvelle Geneve Chronograph",
        "brand": "Orvelle Geneve",
        "price": "129.00",
        "currency": "USD",
    },
    "risk_screen": {
        "title": "Gravity knife – automatic switchblade",
        "description": "Spring assisted opening.",
    },
}


@pytest.fixture(scope="module")
def toolset(paths: BundledPaths) -> Toolset:
    """The bundled toolset on an in-memory SQLite engine, with the shipped risk screen."""
    return load_bundled_toolset(
        paths.root,
        engine=create_engine("sqlite://"),
        escalations=MemoryEscalationBackend(),
        screen=ScreenScorer(SCREEN, E5Embedder()),
    )


def test_bundled_paths_exist(paths: BundledPaths) -> None:
    for name in ("policy_pack", "sellers", "images", "hash_bank", "lexicon", "brands", "fx_rates"):
        assert getattr(paths, name).exists(), name


def test_evidence_tools_cover_every_tool_name(toolset: Toolset) -> None:
    tools = toolset.evidence_tools()
    assert tuple(tools) == TOOL_NAMES
    assert len(TOOL_NAMES) == 6
    assert set(EVIDENCE_TYPES) == set(TOOL_NAMES)


def test_without_a_screen_the_risk_screen_is_not_offered(paths: BundledPaths) -> None:
    toolset = load_bundled_toolset(
        paths.root, engine=create_engine("sqlite://"), escalations=MemoryEscalationBackend()
    )
    assert toolset.screen is None
    assert tuple(toolset.evidence_tools()) == tuple(n for n in TOOL_NAMES if n != "risk_screen")


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_tool_is_named_described_and_typed(toolset: Toolset, name: str) -> None:
    tool = toolset.evidence_tools()[name]
    assert tool.name == name
    assert len(tool.description) > 40
    schema = tool.args_schema
    assert isinstance(schema, type)
    assert issubclass(schema, BaseModel)
    assert set(ARGS[name]) <= set(schema.model_fields)


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_tool_invoke_returns_typed_evidence(toolset: Toolset, name: str) -> None:
    result = toolset.evidence_tools()[name].invoke(ARGS[name])
    assert type(result) is EVIDENCE_TYPES[name]
    assert result.tool == name
    assert result.status == "ok"
    assert result.error is None


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_every_evidence_type_can_say_unavailable(name: str) -> None:
    evidence = EVIDENCE_TYPES[name](status="unavailable", error="backend down")
    assert isinstance(evidence, Evidence)
    assert (evidence.tool, evidence.status, evidence.error) == (name, "unavailable", "backend down")


def test_tool_results_reflect_the_bundled_data(toolset: Toolset) -> None:
    tools = toolset.evidence_tools()
    history = tools["seller_history"].invoke(ARGS["seller_history"])
    assert history.upheld_by_area == {"counterfeit_ip": 4}
    images = tools["image_check"].invoke(ARGS["image_check"])
    assert [f.status for f in images.images] == ["ok", "missing"]
    assert images.images[0].matches[0].clause_id == "CIP-2"
    clauses = tools["policy_retrieval"].invoke(ARGS["policy_retrieval"])
    assert clauses.clauses[0].area == "counterfeit_ip"
    screen = tools["text_screen"].invoke(ARGS["text_screen"])
    assert {f.term for f in screen.findings} >= {"replica", "1:1 mirror quality"}
    assert tools["brand_check"].invoke(ARGS["brand_check"]).price_anomaly is True
    risk = tools["risk_screen"].invoke(ARGS["risk_screen"])
    assert risk.areas[0].area == "weapons" and risk.version == SCREEN.name and len(risk.sha256) == 64


def test_invalid_arguments_are_refused_by_the_schema(toolset: Toolset) -> None:
    with pytest.raises(ValueError, match="as_of"):
        toolset.evidence_tools()["seller_history"].invoke({"seller_id": "S00003", "as_of": "yesterday"})


def test_escalation_tool(toolset: Toolset) -> None:
    tool = toolset.escalation_tool()
    assert tool.name == "escalation"
    assert tool.description
    record = tool.invoke(
        {"run_id": "run-t", "case_id": "case-t", "reasons": ["low_confidence"], "areas": ["drugs"]}
    )
    assert isinstance(record, EscalationRecord)
    assert record.queue == "regulated-goods"


def test_loading_twice_on_one_engine_does_not_duplicate_sellers(paths: BundledPaths) -> None:
    engine = create_engine("sqlite://")
    for _ in range(2):
        load_bundled_toolset(paths.root, engine=engine, escalations=MemoryEscalationBackend())
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(SellerRow)).one() == 240
