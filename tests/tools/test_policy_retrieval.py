"""Policy retrieval: the pack loads and validates; BM25 plus named areas and clauses pick clauses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auditgraph.tools.case import POLICY_AREAS
from auditgraph.tools.policy_retrieval import (
    PolicyIndex,
    PolicyPack,
    PolicyPackError,
    PolicyRetrieval,
    PolicyRetrievalInput,
    load_policy_pack,
    make_policy_retrieval_tool,
)

CLAUSE = {
    "id": "CIP-1",
    "area": "counterfeit_ip",
    "title": "Counterfeit branded goods",
    "text": "No counterfeits.",
    "severity": "high",
    "action": "reject",
    "keywords": ["replica"],
}


def _write_pack(tmp_path: Path, clauses: list[dict]) -> Path:
    path = tmp_path / "pack.yaml"
    pack = {"version": "t.1", "name": "test pack", "effective": "2026-11-01", "clauses": clauses}
    path.write_text(yaml.safe_dump(pack), "utf-8")
    return path


def _search(index: PolicyIndex, **kwargs: object) -> PolicyRetrieval:
    return index.search(PolicyRetrievalInput.model_validate(kwargs))


# ---------------------------------------------------------------- the pack


def test_bundled_pack_is_large_and_well_formed(policy_pack: PolicyPack) -> None:
    ids = [c.id for c in policy_pack.clauses]
    assert len(ids) >= 150
    assert len(set(ids)) == len(ids)
    assert {c.area for c in policy_pack.clauses} == set(POLICY_AREAS)
    assert policy_pack.version == "2026.12.1"
    assert policy_pack.clause("RCL-2") is not None
    assert policy_pack.clause("XYZ-1") is None


def test_small_valid_pack_loads(tmp_path: Path) -> None:
    pack = load_policy_pack(_write_pack(tmp_path, [CLAUSE, CLAUSE | {"id": "CIP-2"}]))
    assert [c.id for c in pack.clauses] == ["CIP-1", "CIP-2"]


def test_duplicate_clause_id_is_refused(tmp_path: Path) -> None:
    path = _write_pack(tmp_path, [CLAUSE, CLAUSE | {"title": "again"}])
    with pytest.raises(PolicyPackError, match=r"repeats clause ids \['CIP-1'\]"):
        load_policy_pack(path)


@pytest.mark.parametrize("field", ["severity", "area", "text", "action"])
def test_clause_missing_a_field_is_refused(tmp_path: Path, field: str) -> None:
    clause = {k: v for k, v in CLAUSE.items() if k != field}
    with pytest.raises(PolicyPackError, match=field):
        load_policy_pack(_write_pack(tmp_path, [clause]))


@pytest.mark.parametrize(
    "content",
    ["version: [unclosed", "just a string", "version: x\nname: y\neffective: 2026-11-01\nclauses: []\n"],
    ids=["bad-yaml", "not-a-mapping", "no-clauses"],
)
def test_unusable_pack_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(content, "utf-8")
    with pytest.raises(PolicyPackError, match="cannot load policy pack"):
        load_policy_pack(path)


def test_missing_pack_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match="cannot load policy pack"):
        load_policy_pack(tmp_path / "absent.yaml")


# ---------------------------------------------------------------- retrieval


def test_replica_query_ranks_a_counterfeit_clause_first(policy_index: PolicyIndex) -> None:
    result = _search(policy_index, query="replica watch 1:1")
    assert result.status == "ok"
    assert result.clauses[0].area == "counterfeit_ip"
    assert result.clauses[0].score > 0
    scores = [c.score for c in result.clauses]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("query", ["r3pl1ca", "R.E.P.L.I.C.A", "rep\u200blica"])
def test_obfuscated_query_still_retrieves_counterfeit_clauses(policy_index: PolicyIndex, query: str) -> None:
    result = _search(policy_index, query=query)
    assert result.clauses
    assert result.clauses[0].area == "counterfeit_ip"


def test_named_area_is_added_to_an_unrelated_query(policy_index: PolicyIndex) -> None:
    result = _search(policy_index, query="handmade ceramic coffee mug", areas=["wildlife"])
    wildlife = [c for c in result.clauses if c.area == "wildlife"]
    assert [c.clause_id for c in wildlife] == ["WLD-1", "WLD-2"]
    assert all(c.score == 0 for c in wildlife)


def test_named_clause_is_included(policy_index: PolicyIndex) -> None:
    result = _search(policy_index, query="replica watch", clause_ids=["RCL-2", "NOPE-9"])
    ids = [c.clause_id for c in result.clauses]
    assert "RCL-2" in ids
    assert "NOPE-9" not in ids
    assert ids.index("RCL-2") == len(ids) - 1


def test_a_clause_is_returned_once(policy_index: PolicyIndex) -> None:
    result = _search(
        policy_index, query="replica counterfeit", areas=["counterfeit_ip"], clause_ids=["CIP-1"]
    )
    ids = [c.clause_id for c in result.clauses]
    assert len(ids) == len(set(ids))
    assert result.clauses[0].clause_id == "CIP-1"
    assert result.clauses[0].score > 0


def test_k_caps_the_scored_clauses(policy_index: PolicyIndex) -> None:
    assert len(_search(policy_index, query="replica counterfeit fake knockoff", k=1).clauses) == 1


def test_category_counts_as_query_text(policy_index: PolicyIndex) -> None:
    result = _search(policy_index, query="", category="fireworks")
    assert result.clauses
    assert result.clauses[0].area == "hazardous_goods"


def test_every_clause_carries_the_pack_version(policy_index: PolicyIndex, policy_pack: PolicyPack) -> None:
    result = _search(policy_index, query="ivory tusk carving", areas=["drugs"], clause_ids=["ADL-1"])
    assert result.policy_version == policy_pack.version
    assert len(result.clauses) >= 4
    assert {c.version for c in result.clauses} == {policy_pack.version}


@pytest.mark.parametrize("query", ["", "   ", "the and of a is", "zzzqqq"])
def test_empty_or_stopword_query_returns_nothing(policy_index: PolicyIndex, query: str) -> None:
    result = _search(policy_index, query=query)
    assert result.status == "ok"
    assert result.clauses == []
    assert result.policy_version is not None


def test_tool_returns_policy_retrieval(policy_index: PolicyIndex) -> None:
    tool = make_policy_retrieval_tool(policy_index)
    result = tool.invoke({"query": "replica watch", "areas": ["wildlife"]})
    assert isinstance(result, PolicyRetrieval)
    assert result.clauses[0].area == "counterfeit_ip"
    assert {"WLD-1", "WLD-2"} <= {c.clause_id for c in result.clauses}
